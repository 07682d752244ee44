import AJP13
import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPosix
import JKRouting

/// One request on an lb worker while it runs: the host that carries out the actions of its
/// `RequestJourney` (choose under the shared lock, attempt on a member, fail over, answer) and
/// answers each with the event it produced. It decides nothing the journey decides
/// (docs/architecture.md §5).
struct LoadBalancedRequest {
    let lb: LBPlan
    let runtime: Runtime
    let shared: SharedBalancerState
    let facts: RequestFacts
    let httpd: HttpdClient
    let extensions: MountExtensions?
    let log: JKLog
    let sessions: SessionIdentifiers?
    let balancing: BalancingRequest
    let offset: Runtime.Offset

    /// The lb's settings as this request knows them; pulled again when an operator changes them.
    var sequence: UInt64
    var balancer: Balancer
    var body: RequestBody
    var journey: RequestJourney
    var report = ServiceReport()
    var choice: Choice?
    /// When `choice` was made (an answer from an attempt begun before the member's error does
    /// not clear it).
    var chosenAt: Timestamp?
    /// The last attempt: its result is the answer. A struct, not a tuple: an optional tuple
    /// is copied through the runtime's generic tuple witnesses.
    var last: LastAttempt?
    var firstMember: Int?
    var lastMember: Int?

    init(
        lb: LBPlan, runtime: Runtime, shared: SharedBalancerState, method: String, facts: RequestFacts,
        httpd: HttpdClient, extensions: MountExtensions?, log: JKLog
    ) {
        self.lb = lb
        self.runtime = runtime
        self.shared = shared
        self.facts = facts
        self.httpd = httpd
        self.extensions = extensions
        self.log = log
        (sequence, balancer) = lb.current
        let settings = lb.settings
        // Session ids, unless stickiness is off for this lb, this mount or this request.
        let stickyIgnore = facts.stickyIgnore ?? extensions?.stickyIgnore ?? false
        var sessions: SessionIdentifiers?
        if balancer.settings.stickySession && !stickyIgnore {
            let sessionPath = extensions?.sessionPath ?? settings.sessionPath
            sessions = SessionRouteExtractor.extract(
                jkRoute: facts.jkRoute, uri: facts.sessionSearchPath(for: sessionPath), sessionPath: sessionPath,
                sessionCookie: extensions?.sessionCookie ?? settings.sessionCookie, forEachCookieHeader: facts.forEachCookieHeader)
        }
        self.sessions = sessions
        balancing = BalancingRequest(
            sessionIDs: sessions?.ids, stateless: facts.stateless ?? extensions?.stateless ?? false,
            activationOverrides: LoadBalancerService.activationOverrides(extensions, balancer))
        body = RequestBody(
            contentLength: facts.contentLength < 0 ? nil : facts.contentLength,
            maxChunk: AJPPacketSize.maxRequestBodyChunk(
                packetSize: LoadBalancerService.minimumPacketSize(lb, runtime.configuration)))
        // Only sticky_session_force needs the route before choosing.
        let sessionRoute =
            balancer.settings.stickySessionForce ? sessions?.ids.lazy.compactMap { SessionIdentifiers.route(of: $0) }.first : nil
        journey = RequestJourney(
            limits: .init(
                members: balancer.members.count, retries: balancer.settings.retries, lbRetries: settings.lbRetries,
                retryInterval: settings.retryInterval),
            request: .init(
                method: method, hasBody: body.hasBody,
                forcedRoute: balancer.settings.stickySessionForce ? sessionRoute.map(String.init) : nil))
        offset = lb.sharedSlot < runtime.offsets.count ? runtime.offsets[lb.sharedSlot] : Runtime.Offset()
    }

    func name(_ index: Int) -> String { index >= 0 && index < balancer.members.count ? balancer.members[index].name : "?" }

    // MARK: - Choosing

    /// What one pass under the shared lock found.
    private enum LockedChoice {
        /// An operator changed the lb's settings: pull them before choosing.
        case stale
        /// These members are BUSY in shared memory; ask this child's pools outside the lock.
        case askPools(busy: UInt64)
        case chosen(Choice?, maintenance: [StateChange]?)
    }

    /// `.choose`: under the shared lock, take back BUSY members this child has a free connection
    /// for (mod_jk does so at the start of its lb service), run global maintenance when due,
    /// choose a member and commit the choice.
    mutating func choose(mayPull: Bool) -> RequestJourney.Event {
        let now = SystemClock.now()
        choice = nil
        var pass = chooseLocked(mayPull: mayPull, freeConnections: nil, now: now)
        if case .askPools(let busy) = pass {
            // A pool's lock is never taken inside the shared lock (docs/architecture.md §6).
            pass = chooseLocked(mayPull: mayPull, freeConnections: freeConnections(among: busy), now: now)
        }
        switch pass {
        case .stale:
            (sequence, balancer) = runtime.pull(lb, shared)
            return .settingsChanged(
                members: balancer.members.count, retries: balancer.settings.retries, lbRetries: lb.settings.lbRetries)
        case .askPools:
            return .chosen(member: nil)  // not reached: the second pass is given the pools' answer
        case .chosen(let chosen, let maintenance):
            choice = chosen
            chosenAt = now
            for change in maintenance ?? [] {
                Maintenance.logChange(change, lb: lb, configuration: runtime.configuration, log: log, via: "maintenance")
            }
            if let chosen { noteRequestedRoute(chosen) }
            return .chosen(member: chosen?.member)
        }
    }

    private func chooseLocked(mayPull: Bool, freeConnections: UInt64?, now: Timestamp) -> LockedChoice {
        let states = journey.memberStates
        return shared.withBalancer(lb.sharedSlot) { record, members -> LockedChoice in
            if record.sequence != sequence && mayPull { return .stale }
            var busy: UInt64 = 0
            for index in 0..<min(members.count, 64) where members[index].state == .busy {
                let bit = UInt64(1) << UInt64(index)
                if states.busy & bit == 0 { busy |= bit }
            }
            if busy != 0 {
                guard let freeConnections else { return .askPools(busy: busy) }
                for index in 0..<min(members.count, 64) where busy & freeConnections & (UInt64(1) << UInt64(index)) != 0 {
                    members[index].state = .ok
                }
            }
            let maintenance = balancer.maintainIfDue(runtime: &members, shared: &record, now: now)
            var rotation = offset.value.load(ordering: .relaxed)
            let choice = balancer.choose(runtime: members, request: balancing, local: states, offset: &rotation)
            offset.value.store(rotation, ordering: .relaxed)
            if let choice {
                balancer.commit(choice, runtime: &members, request: balancing, now: now)
                record.busy &+= 1
                if record.busy > record.maxBusy { record.maxBusy = record.busy }
            }
            return .chosen(choice, maintenance: maintenance)
        } ?? .chosen(nil, maintenance: nil)
    }

    /// The members among `busy` whose pool in this child could lease a connection now.
    private func freeConnections(among busy: UInt64) -> UInt64 {
        var free: UInt64 = 0
        for index in 0..<min(lb.memberWorkers.count, 64) where busy & (UInt64(1) << UInt64(index)) != 0 {
            if runtime.client(lb.memberWorkers[index])?.hasFreeConnection == true { free |= UInt64(1) << UInt64(index) }
        }
        return free
    }

    /// The first session route seen goes into the report; a route no member has is counted.
    private mutating func noteRequestedRoute(_ choice: Choice) {
        guard report.requestedRoute == nil, let requested = choice.requestedRoute(in: balancing) else { return }
        report.requestedRoute = String(requested)
        report.routeSource = sessions?.source.rawValue
        if choice.reason == .balanced, balancer.index(ofRoute: requested) == nil,
            !balancer.members.contains(where: { !$0.domain.isEmpty && requested.hasPrefix($0.domain) })
        {
            LoadBalancerService.unknownRoute(String(requested), lb: lb, runtime: runtime, shared: shared, log: log)
        }
    }

    /// `.checkNextRound`: would a new round find a member this request has not tried?
    func checkNextRound() -> RequestJourney.Event {
        let states = journey.memberStates
        let untried = shared.withBalancer(lb.sharedSlot) { _, members -> Bool in
            var rotation = offset.value.load(ordering: .relaxed)
            return balancer.choose(runtime: members, request: balancing, local: states, offset: &rotation) != nil
        } ?? false
        return .nextRoundChecked(untriedUsable: untried)
    }

    /// `.forceRecovery`: every member is in error; try them once more.
    mutating func forceRecovery() -> RequestJourney.Event {
        let balancer = self.balancer
        var states = journey.memberStates
        let forced = shared.withBalancer(lb.sharedSlot) { _, members in
            balancer.forceRecovery(runtime: &members, local: &states)
        } ?? 0
        journey.memberStates = states
        if forced > 0 {
            log.debug("lb \(lb.name): every member is in error; forcing recovery once for \(forced) member(s)")
        }
        return .forced(count: forced)
    }

    // MARK: - Attempting

    /// `.attempt`: the request on the chosen member, its result counted in the shared records.
    mutating func attempt(_ index: Int, encoder: inout RequestEncoder) -> RequestJourney.Event {
        let configuration = runtime.configuration
        let planIndex = index < lb.memberWorkers.count ? lb.memberWorkers[index] : -1
        guard let choice, choice.member == index, index < balancer.members.count, planIndex >= 0,
            planIndex < configuration.plans.count, case .ajp(let ajp) = configuration.plans[planIndex],
            let client = runtime.client(planIndex)
        else { return .memberMissing(member: index) }
        let (result, stateChange) = run(choice, request: &encoder, ajp: ajp, client: client, planIndex: planIndex)
        if firstMember == nil { firstMember = index }
        lastMember = index
        last = LastAttempt(result: result, ajp: ajp)
        report.bytesIn += result.outcome.bytesToBackend
        report.bytesOut += result.outcome.bytesToClient
        report.backendStatus = result.outcome.status
        report.noteAttempt(worker: balancer.members[index].name, outcome: result.outcome, detailed: log.enabled(.debug))
        report.route = balancer.members[index].route
        if log.enabled(.debug) {
            let balancer = self.balancer
            report.why = JourneyText.why(
                choice, requestedRoute: choice.requestedRoute(in: balancing), domain: balancer.members[index].domain,
                failedOver: journey.failedOver
            ) { index in
                index >= 0 && index < balancer.members.count ? balancer.members[index].name : "?"
            }
        }
        return .attempted(
            member: index,
            LoadBalancerService.journeyReport(result, body: body, ajp: ajp, httpd: httpd, stateChange: stateChange))
    }

    /// One attempt on the chosen member: the request with the member's secret and route, the
    /// sticky cookie and the route watch, then the result counted in the shared records.
    /// `request` is the request's one encoder, given this member's secret, route and activation
    /// in place (a copy per attempt retained and released every field).
    private mutating func run(
        _ choice: Choice, request: inout RequestEncoder, ajp: AJPPlan, client: WorkerClient, planIndex: Int
    ) -> (MemberAttempt.Result, StateChange?) {
        let route = balancer.members[choice.member].route
        // Overrides are indexed like the members when the request began; settings pulled since may have more.
        let overrides = balancing.activationOverrides
        let activation =
            (overrides.flatMap { choice.member < $0.count ? $0[choice.member] : nil }) ?? balancer.members[choice.member].activation
        request.secret = ajp.settings.secret ?? lb.settings.secret
        request.route = route
        request.activation = activation.code
        LoadBalancerService.prepareStickiness(httpd, choice: choice, lb: lb, route: route, facts: facts, extensions: extensions)
        LoadBalancerService.watchRoutes(
            httpd, runtime: runtime, lb: lb, expected: route, member: choice.member, planIndex: planIndex, log: log)
        let result = MemberAttempt.run(
            plan: ajp, client: client, request: request, body: &body, httpd: httpd, extensions: extensions,
            replyTimeoutOverride: facts.replyTimeout, useServerErrors: extensions?.useServerErrors, log: log)
        let bytes = result.wireSent &+ result.wireReceived
        let balancer = self.balancer
        let balancing = self.balancing
        let startedAt = chosenAt
        var states = journey.memberStates
        var probed = true
        let stateChange: StateChange? = shared.withBalancer(lb.sharedSlot) { record, members in
            record.busy = max(0, record.busy &- 1)
            guard choice.member < members.count else { return nil }
            if result.poolExhausted {
                balancer.recordBusy(member: choice.member, runtime: &members, local: &states, request: balancing)
                return nil
            }
            members[choice.member].bytesRead &+= result.wireReceived
            members[choice.member].bytesWritten &+= result.wireSent
            let change = balancer.record(
                result.attemptResult, cause: result.cause, member: choice.member, bytes: bytes, runtime: &members,
                local: &states, startedAt: startedAt, now: SystemClock.now())
            probed = balancer.probeMayCure(members[choice.member])
            return change
        } ?? nil
        journey.memberStates = states
        if let stateChange {
            Maintenance.logChange(
                stateChange, lb: lb, configuration: runtime.configuration, log: log, via: "a request",
                cause: LoadBalancerService.failureCause(result), probed: probed)
        }
        return (result, stateChange)
    }

    /// `.failOver`: forget the response started, count the failover, say so.
    func failOver(_ index: Int, resetResponse: Bool, log level: RequestJourney.FailoverLog?) -> RequestJourney.Event {
        if resetResponse { httpd.resetResponse() }
        shared.withBalancer(lb.sharedSlot) { record, members in
            record.failovers &+= 1
            if index >= 0, index < members.count { members[index].failovers &+= 1 }
        }
        if let level, let last {
            let logLevel: LogLevel = level == .debug ? .debug : .info
            if log.enabled(logLevel) {
                log.log(
                    logLevel,
                    "lb \(lb.name): \(facts.method) \(facts.loggablePath) failed on \(name(index)) (\(last.ajp.endpoint)): \(AttemptText.describe(last.result.outcome)); trying another member\(facts.requestID.map { " [id=\($0)]" } ?? "")"
                )
            }
        }
        return .failedOver
    }

    // MARK: - Answering

    struct LastAttempt {
        var result: MemberAttempt.Result
        let ajp: AJPPlan
    }

    /// `.answer`: the last attempt's result is the response (nil when there was none).
    mutating func answer() -> ServiceReport? {
        // Both taken out, not copied: the request ends here (a copy retained and released their strings).
        guard let last = last.take() else { return nil }
        var taken = ServiceReport()
        swap(&taken, &report)
        return LoadBalancerService.finish(&taken, result: last.result, lb: lb, ajp: last.ajp, facts: facts, httpd: httpd)
    }

    /// `.unavailable`: no member serves this request (the debug line must not name one).
    mutating func unavailable(_ unavailable: RequestJourney.Unavailable) -> ServiceReport {
        let balancer = self.balancer
        let name = { (index: Int) -> String in index >= 0 && index < balancer.members.count ? balancer.members[index].name : "?" }
        report.httpStatus = 503
        report.route = nil
        report.why = JourneyText.unavailableWhy(unavailable, name: name)
        if case .stickyForced(let route) = unavailable.reason, report.requestedRoute == nil {
            report.requestedRoute = route
            report.routeSource = sessions?.source.rawValue
        }
        let lb = self.lb
        let shared = self.shared
        report.failureLine = JourneyText.unavailable(
            unavailable, lb: lb.name, method: facts.method, path: facts.loggablePath, routeSource: sessions?.source.rawValue,
            name: name, states: { LoadBalancerService.memberStates(lb, shared: shared) })
        return report
    }

    /// The `JK_LB_FIRST_*` / `JK_LB_LAST_*` notes, whatever the outcome.
    func setNotes() {
        LoadBalancerService.setNotes(httpd, lb: lb, balancer: balancer, shared: shared, first: firstMember, last: lastMember)
    }
}
