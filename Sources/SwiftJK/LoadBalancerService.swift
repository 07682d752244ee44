import AJP13
import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPosix

/// A request on an lb worker: sticky route, choice by lb_value, attempts on members with
/// failover (no sleep before the next member), force recovery once, and the shared records kept
/// up to date for every child (mod_jk's lb `service`, docs/modjk-behaviour.md §4).
enum LoadBalancerService {
    static func serve(
        lb: LBPlan, runtime: Runtime, request base: RequestEncoder, facts: RequestFacts, httpd: HttpdClient,
        extensions: MountExtensions?, log: JKLog
    ) -> ServiceReport {
        let configuration = runtime.configuration
        var report = ServiceReport()
        guard let shared = configuration.shared else {
            report.failureLine = "lb worker \(lb.name): no shared memory (JkShmFile failed at startup) → 503"
            report.httpStatus = 503
            return report
        }
        var (sequence, balancer) = lb.current
        let settings = lb.settings
        // Session ids, unless stickiness is off for this lb, this mount or this request.
        let stickyIgnore = facts.stickyIgnore ?? extensions?.stickyIgnore ?? false
        var sessions: SessionIdentifiers?
        if balancer.settings.stickySession && !stickyIgnore {
            sessions = SessionRouteExtractor.extract(
                jkRoute: facts.jkRoute, uri: Substring(facts.unparsedURI.prefix { $0 != "?" }), cookieHeaders: facts.cookieHeaders,
                sessionPath: extensions?.sessionPath ?? settings.sessionPath,
                sessionCookie: extensions?.sessionCookie ?? settings.sessionCookie)
        }
        let balancing = BalancingRequest(
            sessionIDs: sessions?.ids, stateless: facts.stateless ?? extensions?.stateless ?? false,
            activationOverrides: activationOverrides(extensions, balancer))
        var body = RequestBody(
            contentLength: facts.contentLength < 0 ? nil : facts.contentLength,
            maxChunk: AJPPacketSize.maxRequestBodyChunk(packetSize: minimumPacketSize(lb, configuration)))
        var local = RequestMemberStates()
        var forcedOnce = false
        var attemptsInRound = 0
        var round = 0
        var perRound = min(balancer.members.count, max(1, settings.lbRetries))
        var pulls = 0
        var firstMember: Int?
        var lastMember: Int?
        defer { setNotes(httpd, lb: lb, balancer: balancer, shared: shared, first: firstMember, last: lastMember) }
        var lastResult: MemberAttempt.Result?
        var failedOver: [String] = []
        let offset = lb.sharedSlot < runtime.offsets.count ? runtime.offsets[lb.sharedSlot] : Runtime.Offset()

        while true {
            if attemptsInRound >= perRound {
                round += 1
                if round >= balancer.settings.retries { break }
                // Another round (mod_jk: up to `retries` rounds of min(members, lb_retries)):
                // at once when a member not tried yet is usable; after retry_interval when only
                // busy members are left; not at all when every other member is in error.
                let untried = shared.withBalancer(lb.sharedSlot) { _, members -> Bool in
                    var rotation = offset.value.load(ordering: .relaxed)
                    return balancer.choose(runtime: members, request: balancing, local: local, offset: &rotation) != nil
                } ?? false
                if !untried && local.busy == 0 { break }
                if !untried { SystemClock.sleep(settings.retryInterval) }
                local.busy = 0
                attemptsInRound = 0
            }
            let now = SystemClock.now()
            var choiceMade: Choice?
            var maintenance: [StateChange]?
            var stale = false
            shared.withBalancer(lb.sharedSlot) { record, members in
                // An operator changed settings (status worker, any child): pull them first.
                if record.sequence != sequence && pulls < 3 {
                    stale = true
                    return
                }
                // BUSY is a child's pool running out; a child with a free connection takes the
                // member back (mod_jk does the same at the start of its lb service).
                for index in 0..<min(members.count, lb.memberWorkers.count)
                where members[index].state == .busy && local.busy & (UInt64(1) << UInt64(index & 63)) == 0 {
                    if runtime.client(lb.memberWorkers[index])?.hasFreeConnection == true { members[index].state = .ok }
                }
                maintenance = balancer.maintainIfDue(runtime: &members, shared: &record, now: now)
                var rotation = offset.value.load(ordering: .relaxed)
                choiceMade = balancer.choose(runtime: members, request: balancing, local: local, offset: &rotation)
                offset.value.store(rotation, ordering: .relaxed)
                if let choice = choiceMade {
                    balancer.commit(choice, runtime: &members, request: balancing, now: now)
                    record.busy &+= 1
                    if record.busy > record.maxBusy { record.maxBusy = record.busy }
                }
            }
            if stale {
                pulls += 1
                (sequence, balancer) = runtime.pull(lb, shared)
                perRound = min(balancer.members.count, max(1, settings.lbRetries))
                continue
            }
            for change in maintenance ?? [] {
                Maintenance.logChange(change, lb: lb, configuration: configuration, log: log, via: "maintenance")
            }
            guard let choice = choiceMade else {
                if !forcedOnce {
                    forcedOnce = true
                    let forced = shared.withBalancer(lb.sharedSlot) { _, members in
                        balancer.forceRecovery(runtime: &members, local: &local)
                    } ?? 0
                    if forced > 0 {
                        log.debug("lb \(lb.name): every member is in error; forcing recovery once for \(forced) member(s)")
                        continue
                    }
                }
                break
            }
            if report.requestedRoute == nil, let requested = choice.requestedRoute {
                report.requestedRoute = String(requested)
                report.routeSource = sessions?.source.rawValue
                if choice.reason == .balanced, balancer.index(ofRoute: requested) == nil,
                    !balancer.members.contains(where: { !$0.domain.isEmpty && requested.hasPrefix($0.domain) })
                {
                    unknownRoute(String(requested), lb: lb, runtime: runtime, shared: shared, log: log)
                }
            }
            let member = balancer.members[choice.member]
            let planIndex = choice.member < lb.memberWorkers.count ? lb.memberWorkers[choice.member] : -1
            guard planIndex >= 0, case .ajp(let ajp) = configuration.plans[planIndex], let client = runtime.client(planIndex) else {
                break
            }
            if firstMember == nil { firstMember = choice.member }
            lastMember = choice.member
            var request = base
            let activation = balancing.activationOverrides?[choice.member] ?? member.activation
            request.secret = ajp.settings.secret ?? settings.secret
            request.route = member.route
            request.activation = activation.code
            prepareStickiness(httpd, choice: choice, lb: lb, member: member, facts: facts, extensions: extensions)
            watchRoutes(httpd, runtime: runtime, lb: lb, expected: member.route, member: choice.member, planIndex: planIndex, log: log)
            let result = MemberAttempt.run(
                plan: ajp, client: client, request: request, body: &body, httpd: httpd, extensions: extensions,
                replyTimeoutOverride: facts.replyTimeout, useServerErrors: extensions?.useServerErrors, log: log)
            lastResult = result
            report.bytesIn += result.outcome.bytesToBackend
            report.bytesOut += result.outcome.bytesToClient
            report.backendStatus = result.outcome.status
            report.noteAttempt(worker: member.name, outcome: result.outcome, detailed: log.enabled(.debug))
            let bytes = result.wireSent &+ result.wireReceived
            let stateChange: StateChange? = shared.withBalancer(lb.sharedSlot) { record, members in
                record.busy = max(0, record.busy &- 1)
                if result.poolExhausted {
                    balancer.recordBusy(member: choice.member, runtime: &members, local: &local, request: balancing)
                    return nil
                }
                members[choice.member].bytesRead &+= result.wireReceived
                members[choice.member].bytesWritten &+= result.wireSent
                return balancer.record(
                    result.attemptResult, cause: result.cause, member: choice.member, bytes: bytes, runtime: &members,
                    local: &local, now: SystemClock.now())
            } ?? nil
            if let stateChange {
                let cause = failureCause(result)
                Maintenance.logChange(
                    stateChange, lb: lb, configuration: configuration, log: log, via: "a request", cause: cause,
                    probed: result.cause.isCuredByCPONG)
            }
            report.route = member.route
            if log.enabled(.debug) { report.why = why(choice, balancer: balancer, failedOver: failedOver) }
            switch result.outcome.result {
            case .completed, .clientFailed, .serverErrorPage, .requestTooLarge:
                return finish(&report, result: result, lb: lb, ajp: ajp, facts: facts, httpd: httpd)
            case .backendFailed, .rejectedStatus:
                // A response that never left httpd (nothing committed; the few body bytes written
                // are still in httpd's write buffer) can be forgotten: an idempotent request then
                // fails over like one that got no reply at all (mod_jk retries it too), unless
                // recovery_options 2.
                let recoveryOptions = Int(ajp.live.recoveryOptions)
                let forgettable = result.outcome.responseStarted && result.outcome.bytesToClient < HttpdClient.writeBufferSize
                    && recoveryOptions & RetryPolicy.abortIfResponseStarted == 0 && !httpd.responseCommitted
                let retryable = result.poolExhausted || RetryPolicy.mayRetry(
                    method: request.method, hasBody: body.hasBody, bodyReplayable: body.isReplayable,
                    requestSent: result.outcome.requestSent, responseStarted: result.outcome.responseStarted && !forgettable,
                    recoveryOptions: recoveryOptions)
                if !retryable {
                    return finish(&report, result: result, lb: lb, ajp: ajp, facts: facts, httpd: httpd)
                }
                if result.outcome.responseStarted { httpd.resetResponse() }
                failedOver.append(member.name)
                shared.withBalancer(lb.sharedSlot) { record, members in
                    record.failovers &+= 1
                    members[choice.member].failovers &+= 1
                }
                // A member already known in error (tried again by forced recovery) fails quietly.
                let knownBad = stateChange.map { $0.from.isError } ?? false
                if log.enabled(knownBad ? .debug : .info), !result.poolExhausted {
                    log.log(knownBad ? .debug : .info, "lb \(lb.name): \(facts.method) \(facts.loggablePath) failed on \(member.name) (\(ajp.endpoint)): \(AttemptText.describe(result.outcome)); trying another member\(facts.requestID.map { " [id=\($0)]" } ?? "")")
                }
            }
            attemptsInRound += 1
        }
        // Nothing left to try: no member serves this request (the debug line must not name one).
        report.httpStatus = 503
        var seen = Set<String>()
        failedOver = failedOver.filter { seen.insert($0).inserted }   // a forced retry names a member once
        report.route = nil
        report.why = failedOver.isEmpty ? "no usable member" : "failover from \(failedOver.joined(separator: ",")), none left"
        let sessionRoute = sessions?.ids.lazy.compactMap { SessionIdentifiers.route(of: $0) }.first
        if balancer.settings.stickySessionForce, let sessionRoute {
            if report.requestedRoute == nil {
                report.requestedRoute = String(sessionRoute)
                report.routeSource = sessions?.source.rawValue
            }
            let tried = failedOver.isEmpty ? "" : "tried \(failedOver.joined(separator: ", ")); "
            report.failureLine = "lb \(lb.name): \(facts.method) \(facts.loggablePath): the session's route '\(sessionRoute)' (\(sessions?.source.rawValue ?? "session")) has no usable member and sticky_session_force is set, so no failover (\(tried)\(memberStates(lb, shared: shared))) → 503"
        } else if let lastResult, case .rejectedStatus = lastResult.outcome.result {
            report.failureLine = "lb \(lb.name): all members answered a fail_on_status code (\(failedOver.joined(separator: ", "))) → 503"
        } else {
            let tried = failedOver.isEmpty ? "no usable member" : "tried \(failedOver.joined(separator: ", "))"
            let states = memberStates(lb, shared: shared)
            report.failureLine = "lb \(lb.name): all members failed for \(facts.method) \(facts.loggablePath) (\(tried); \(states)) → 503"
        }
        return report
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
        case .backendFailed(let failure): AttemptText.backend(failure)
        case .rejectedStatus(let status): "answered \(status), listed in fail_on_status"
        default: result.cause.text
        }
    }

    static func why(_ choice: Choice, balancer: Balancer, failedOver: [String]) -> String {
        var text: String
        switch choice.reason {
        case .sticky: text = "sticky"
        case .redirect(let from): text = "redirect from \(balancer.members[from].name)"
        case .domain(let domain): text = "domain \(domain)"
        case .balanced: text = choice.requestedRoute == nil ? "balanced by lb_value" : "balanced by lb_value (session route \(choice.requestedRoute ?? "") not usable)"
        case .failoverRedirect: text = "failover redirect"
        }
        if !failedOver.isEmpty { text += ", failover from \(failedOver.joined(separator: ","))" }
        return text
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
        _ httpd: HttpdClient, choice: Choice, lb: LBPlan, member: Balancer.Member, facts: RequestFacts, extensions: MountExtensions?
    ) {
        httpd.extraHeaders.removeAll()
        guard !choice.isSticky, extensions?.setSessionCookie ?? lb.settings.setSessionCookie else { return }
        var value = "\(extensions?.sessionCookie ?? lb.settings.sessionCookie)=.\(member.route)"
        let path = extensions?.sessionCookiePath ?? lb.settings.sessionCookiePath
        if !path.isEmpty { value += ";PATH=\(path)" }
        value += ";HttpOnly"
        if facts.isSSL { value += ";Secure" }
        httpd.extraHeaders.append(("Set-Cookie", value))
    }

    /// Watches the Set-Cookie of the serving member: a new session whose route names another
    /// member means workers.properties points this member at the wrong Tomcat.
    static func watchRoutes(_ httpd: HttpdClient, runtime: Runtime, lb: LBPlan, expected: String, member: Int, planIndex: Int, log: JKLog) {
        let cookieName = lb.settings.sessionCookie
        httpd.onSetCookie = { value in
            guard let route = SetCookieRoute.route(in: value, cookie: cookieName), route != expected else { return }
            RouteMismatch.report(runtime: runtime, lb: lb, member: member, planIndex: planIndex, seenRoute: route, log: log)
        }
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
