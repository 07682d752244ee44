import JKBalancer
import JKConfig

/// The route inside a `Set-Cookie: JSESSIONID=<id>.<route>; …` value, if the cookie is the
/// session cookie.
enum SetCookieRoute {
    static func route(in value: UnsafeRawBufferPointer, cookie: String) -> String? {
        let text = String(decoding: value, as: UTF8.self)
        guard text.hasPrefix(cookie + "=") else { return nil }
        let afterName = text.dropFirst(cookie.count + 1)
        let id = afterName.prefix { $0 != ";" && $0 != " " }
        guard let route = SessionIdentifiers.route(of: id), !route.isEmpty else { return nil }
        return String(route)
    }
}

/// When a repeated warning counted in shared memory is written again: at the 1st, 10th, 100th …
/// occurrence over all children, so the log shows it grow without one line per request.
enum WarnAgain {
    static func at(_ count: UInt64) -> Bool {
        var n = count
        while n >= 10, n % 10 == 0 { n /= 10 }
        return n == 1
    }
}

/// The classic misconfiguration: a member whose Tomcat has another member's jvmRoute (the hosts
/// are swapped in workers.properties). Every new session then names the other member, every
/// request hops nodes, and JvmRouteBinderValve rewrites the session id each time.
enum RouteMismatch {
    static func report(runtime: Runtime, lb: LBPlan, member: Int, planIndex: Int, seenRoute: String, log: JKLog) {
        let configuration = runtime.configuration
        var count: UInt32 = 0
        _ = configuration.shared?.withBalancer(lb.sharedSlot) { _, members in
            members[member].routeMismatches &+= 1
            count = members[member].routeMismatches
        }
        guard count > 0 ? WarnAgain.at(UInt64(count)) : runtime.firstTime("mismatch:\(lb.name):\(member)") else { return }
        let name = lb.balancer.members[member].name
        let route = lb.balancer.members[member].route
        guard case .ajp(let ajp) = configuration.plans[planIndex] else { return }
        let owner = lb.balancer.members.first { $0.route == seenRoute }?.name
        var message = "jvmRoute mismatch: member \(name) (\(ajp.endpoint)) of \(lb.name) has route '\(route)', but the Tomcat there set a session cookie with route '\(seenRoute)'"
        if let owner {
            message += " (the route of member \(owner)): the hosts/ports of \(name) and \(owner) look swapped in workers.properties"
        } else {
            message += ": set jvmRoute=\"\(route)\" on that Tomcat's <Engine>, or worker.\(name).route=\(seenRoute)"
        }
        message += "; sessions will not stick (seen \(count) time\(count == 1 ? "" : "s"))"
        log.warn(message)
    }
}

/// What the response's Set-Cookie headers are checked against on one lb attempt.
struct RouteWatch {
    let runtime: Runtime
    let lb: LBPlan
    let expected: String
    let member: Int
    let planIndex: Int
    let log: JKLog

    /// A Set-Cookie value from the member: a new session routed elsewhere is reported.
    func saw(_ value: UnsafeRawBufferPointer) {
        guard let route = SetCookieRoute.route(in: value, cookie: lb.settings.sessionCookie), route != expected else { return }
        RouteMismatch.report(runtime: runtime, lb: lb, member: member, planIndex: planIndex, seenRoute: route, log: log)
    }
}
