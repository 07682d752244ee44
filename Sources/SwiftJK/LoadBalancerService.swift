import AJP13
import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPosix
import JKRouting

/// A request on an lb worker: sticky route, choice by lb_value, attempts on members with
/// failover (no sleep before the next member), force recovery once, and the shared records kept
/// up to date for every child (mod_jk's lb `service`, docs/modjk-behaviour.md §4).
enum LoadBalancerService {
    static func serve(
        lb: LBPlan, runtime: Runtime, request encoder: inout RequestEncoder, facts: RequestFacts, httpd: HttpdClient,
        extensions: MountExtensions?, log: JKLog
    ) -> ServiceReport {
        guard let shared = runtime.configuration.shared else {
            var report = ServiceReport()
            report.failureLine = "lb worker \(lb.name): no shared memory (JkShmFile failed at startup) → 503"
            report.httpStatus = 503
            return report
        }
        // The decisions (which action next) are the journey's; the request only carries them out.
        var request = LoadBalancedRequest(
            lb: lb, runtime: runtime, shared: shared, method: encoder.method, facts: facts, httpd: httpd, extensions: extensions,
            log: log)
        let setNotes = runtime.configuration.startup.requestNotes.contains(.lb)
        defer { if setNotes { request.setNotes() } }
        var action = request.journey.next(.start)
        while true {
            let event: RequestJourney.Event
            switch action {
            case .choose(let mayPull): event = request.choose(mayPull: mayPull)
            case .checkNextRound: event = request.checkNextRound()
            case .wait(let duration):
                SystemClock.sleep(duration)
                event = .waited
            case .forceRecovery: event = request.forceRecovery()
            case .attempt(let member): event = request.attempt(member, encoder: &encoder)
            case .failOver(let member, let resetResponse, let level):
                event = request.failOver(member, resetResponse: resetResponse, log: level)
            case .answer:
                if let report = request.answer() { return report }
                event = .memberMissing(member: -1)
            case .unavailable(let unavailable): return request.unavailable(unavailable)
            }
            action = request.journey.next(event)
        }
    }

    /// An attempt's result in the terms of the journey's replay rules.
    static func journeyReport(
        _ result: MemberAttempt.Result, body: RequestBody, ajp: AJPPlan, httpd: HttpdClient, stateChange: StateChange?
    ) -> RequestJourney.AttemptReport {
        let kind: RequestJourney.AttemptReport.Kind
        switch result.outcome.result {
        case .completed, .clientFailed, .serverErrorPage, .requestTooLarge: kind = .final
        case .backendFailed: kind = .backendFailed
        case .rejectedStatus: kind = .rejectedStatus
        }
        // A response that never left httpd (nothing committed; the few body bytes written are
        // still in httpd's write buffer) can be forgotten, as mod_jk does.
        return RequestJourney.AttemptReport(
            kind: kind, poolExhausted: result.poolExhausted, requestSent: result.outcome.requestSent,
            responseStarted: result.outcome.responseStarted,
            responseForgettable: result.outcome.bytesToClient < HttpdClient.writeBufferSize && !httpd.responseCommitted,
            bodyReplayable: body.isReplayable, recoveryOptions: Int(ajp.live.recoveryOptions),
            memberWasInError: stateChange.map { $0.from.isError } ?? false)
    }

    static func finish(
        _ report: inout ServiceReport, result: MemberAttempt.Result, lb: LBPlan, ajp: AJPPlan, facts: RequestFacts, httpd: HttpdClient
    ) -> ServiceReport {
        Outcomes.finish(
            &report, result: result, workerLabel: { "member \(ajp.name) (\(ajp.endpoint)) of \(lb.name)" }, plan: ajp, facts: facts,
            httpd: httpd)
        return report
    }

    static func failureCause(_ result: MemberAttempt.Result) -> String {
        switch result.outcome.result {
        case .backendFailed(let failure): failure.description
        case .rejectedStatus(let status): "answered \(status), listed in fail_on_status"
        default: result.cause.text
        }
    }

    /// Per-mount `active=`/`disabled=`/`stopped=` member lists as an array indexed like members.
    static func activationOverrides(_ extensions: MountExtensions?, _ balancer: Balancer) -> [Activation?]? {
        guard let extensions, !(extensions.active.isEmpty && extensions.disabled.isEmpty && extensions.stopped.isEmpty) else {
            return nil
        }
        return balancer.members.map { member in
            if extensions.stopped.contains(member.name) { return .stopped }
            if extensions.disabled.contains(member.name) { return .disabled }
            if extensions.active.contains(member.name) { return .active }
            return nil
        }
    }

    /// The smallest max_packet_size among members: the replay buffer must fit any of them.
    static func minimumPacketSize(_ lb: LBPlan, _ configuration: Configuration) -> Int {
        var size = AJPPacketSize.maximumMax
        for index in lb.memberWorkers {
            if case .ajp(let ajp) = configuration.plans[index] { size = min(size, ajp.settings.maxPacketSize) }
        }
        return size
    }

    /// `set_session_cookie`: when a request was not served sticky, tell the client the route.
    static func prepareStickiness(
        _ httpd: HttpdClient, choice: Choice, lb: LBPlan, route: String, facts: RequestFacts, extensions: MountExtensions?
    ) {
        httpd.extraHeaders.removeAll()
        guard !choice.isSticky, extensions?.setSessionCookie ?? lb.settings.setSessionCookie else { return }
        var value = "\(extensions?.sessionCookie ?? lb.settings.sessionCookie)=.\(route)"
        let path = extensions?.sessionCookiePath ?? lb.settings.sessionCookiePath
        if !path.isEmpty { value += ";PATH=\(path)" }
        value += ";HttpOnly"
        if facts.isSSL { value += ";Secure" }
        httpd.extraHeaders.append(("Set-Cookie", value))
    }

    /// Watches the Set-Cookie of the serving member: a new session whose route names another
    /// member means workers.properties points this member at the wrong Tomcat.
    static func watchRoutes(_ httpd: HttpdClient, runtime: Runtime, lb: LBPlan, expected: String, member: Int, planIndex: Int, log: JKLog) {
        httpd.routeWatch = RouteWatch(runtime: runtime, lb: lb, expected: expected, member: member, planIndex: planIndex, log: log)
    }

    /// A session route that names no member: the Tomcats' jvmRoutes and the member routes
    /// differ. Counted in the shared record; warned at the 1st, 10th, 100th … over all children.
    static func unknownRoute(_ route: String, lb: LBPlan, runtime: Runtime, shared: SharedBalancerState, log: JKLog) {
        let count = shared.withBalancer(lb.sharedSlot) { record, _ -> UInt64 in
            record.unknownRoutes &+= 1
            return record.unknownRoutes
        } ?? 0
        guard count > 0 ? WarnAgain.at(count) : runtime.firstTime("unknown-route:\(lb.name)") else { return }
        let routes = lb.balancer.members.map(\.route).joined(separator: ", ")
        log.warn("lb \(lb.name): requests carry session route '\(route)', which matches no member (routes: \(routes)); \(count) such request\(count == 1 ? "" : "s") so far. Each Tomcat's jvmRoute must equal the route of its member, or sessions do not stick")
    }

    /// The `JK_LB_FIRST_*` / `JK_LB_LAST_*` notes for httpd's LogFormat (`%{JK_LB_LAST_NAME}n`).
    static func setNotes(_ httpd: HttpdClient, lb: LBPlan, balancer: Balancer, shared: SharedBalancerState, first: Int?, last: Int?) {
        guard let first, let last else { return }
        let records = shared.withBalancer(lb.sharedSlot) { _, members -> (MemberRuntime, MemberRuntime)? in
            guard first < members.count, last < members.count else { return nil }
            return (members[first], members[last])
        } ?? nil
        guard let (firstRecord, lastRecord) = records else { return }
        guard first < balancer.members.count, last < balancer.members.count else { return }
        httpd.setLBNotes(
            first: (balancer.members[first].name, firstRecord), last: (balancer.members[last].name, lastRecord))
    }

    static func memberStates(_ lb: LBPlan, shared: SharedBalancerState) -> String {
        guard let (_, members) = shared.snapshot(lb.sharedSlot) else { return "" }
        return zip(lb.balancer.members, members).map { "\($0.name) \($1.state.label)" }.joined(separator: ", ")
    }
}
