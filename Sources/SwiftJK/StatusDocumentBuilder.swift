import JKBalancer
import JKConfig
import JKCore
import JKPosix
import JKStatus

/// Builds the status worker's `StatusDocument` from this child's plans and the shared records.
struct StatusDocumentBuilder {
    let runtime: Runtime
    let status: StatusWorkerSettings
    let clock: StatusClock

    var configuration: Configuration { runtime.configuration }

    init(runtime: Runtime, status: StatusWorkerSettings) {
        self.runtime = runtime
        self.status = status
        let wall = SystemClock.wallClock()
        self.clock = StatusClock(monotonic: SystemClock.now(), unixSeconds: wall.seconds, civil: { CivilTime.local($0) })
    }

    func header(facts: RequestFacts) -> StatusDocument.Header {
        let (datetime, zone) = CivilTime.local(clock.unixSeconds)
        let banner = facts.serverDescription.map { String(cString: $0) } ?? "Apache"
        return StatusDocument.Header(
            serverName: facts.serverName, serverPort: facts.serverPort, datetime: datetime, timezone: zone, unixTime: clock.unixSeconds,
            webServer: banner, jkVersion: "SwiftJK/\(SwiftJKVersion.current)")
    }

    /// The workers of `worker.list` that the status worker shows (lb and ajp13), in list order.
    var listedWorkers: [WorkerPlan] {
        configuration.jk.workers.list.compactMap { name in
            guard let (_, plan) = configuration.plan(named: name) else { return nil }
            if case .status = plan { return nil }
            return plan
        }
    }

    func balancer(_ lb: LBPlan, member: Int?, options: StatusOptions) -> StatusDocument.Balancer {
        let shared = configuration.shared?.fullSnapshot(lb.sharedSlot)
        let members = shared?.members ?? lb.configured.initialRuntime()
        let labels = shared?.labels ?? lb.configured.initialLabels()
        let record = shared?.balancer ?? BalancerRuntime()
        let maps = self.maps(for: lb.name)
        let rating = MemberRating(good: status.good, bad: status.bad)
        let fields = StatusFields.balancer(lb.configured, record: record, members: members, mapCount: maps.count, rating: rating, clock: clock)
        var memberRecords: [Record] = []
        var extras: [Record] = []
        if !options.contains(.noMembers) {
            for index in lb.configured.members.indices where index < members.count && index < labels.count && index < lb.memberWorkers.count {
                if let member, member != index { continue }
                guard case .ajp(let ajp) = configuration.plans[lb.memberWorkers[index]] else { continue }
                let facts = ajpFacts(ajp, planIndex: lb.memberWorkers[index])
                memberRecords.append(
                    StatusFields.member(facts, runtime: members[index], labels: labels[index], balancer: lb.configured, record: record, clock: clock))
                extras.append(StatusFields.memberExtras(members[index], member: lb.configured.members[index], clock: clock))
            }
        }
        var lbExtras = Record()
        lbExtras.add("failovers", record.failovers)
        lbExtras.add("unknown_routes", record.unknownRoutes)
        return StatusDocument.Balancer(
            name: lb.name, fields: fields, members: memberRecords, maps: options.contains(.noMaps) ? [] : maps, memberExtras: extras,
            extras: lbExtras)
    }

    func ajpWorker(_ ajp: AJPPlan, planIndex: Int, options: StatusOptions) -> StatusDocument.AJPWorker {
        let maps = self.maps(for: ajp.name)
        var counters: AJPCounters = configuration.shared?.withAJPCounters(ajp.name) { $0 } ?? AJPCounters()
        if counters.lastReset == 0 { counters.lastReset = runtime.startedAt.milliseconds }
        let fields = StatusFields.ajpWorker(ajpFacts(ajp, planIndex: planIndex), counters: counters, mapCount: maps.count, clock: clock)
        return StatusDocument.AJPWorker(name: ajp.name, fields: fields, maps: options.contains(.noMaps) ? [] : maps)
    }

    func ajpFacts(_ ajp: AJPPlan, planIndex: Int) -> AJPFacts {
        let live = ajp.live
        let settings = ajp.settings
        let connected = runtime.client(planIndex)?.connectionCount ?? 0
        return AJPFacts(
            name: ajp.name, host: ajp.host, port: ajp.port,
            address: configuration.address(for: planIndex)?.description ?? "unresolved", source: settings.source,
            // The values in effect: the CPING timeouts as ping_mode derives them (mod_jk shows
            // them so too), with an operator's changes.
            connectionPoolTimeout: Int(live.connectionPoolTimeout / 1000), pingTimeout: Int(live.pingTimeout),
            connectTimeout: Int(live.connectTimeout), prepostTimeout: Int(live.prepostTimeout),
            replyTimeout: Int(live.replyTimeout), retries: Int(live.retries),
            connectionPingInterval: Int(live.connectionPingInterval / 1000),
            recoveryOptions: Int(live.recoveryOptions), busyLimit: Int(live.busyLimit), maxPacketSize: settings.maxPacketSize,
            connected: connected, maxConnected: ajp.effective.connectionPoolSize)
    }

    /// The mount rules of every server that name `worker` ("Map:" lines).
    func maps(for worker: String) -> [Record] {
        var records: [Record] = []
        var id = 0
        for server in configuration.jk.servers {
            for rule in server.mounts.rules where rule.worker == worker {
                id += 1
                records.append(StatusFields.map(Self.mapFacts(rule, server: server.name), id: id))
            }
        }
        return records
    }

    static func mapFacts(_ rule: MountRule, server: String) -> MapFacts {
        let x = rule.extensions
        let source: String
        switch rule.source {
        case .jkMount: source = "JkMount"
        case .mountFile: source = "uriworkermap"
        case .workerMount: source = "worker definition"
        }
        return MapFacts(
            server: server, uri: rule.pattern,
            type: (rule.isDisabled ? "Disabled " : "") + (rule.isExclusion ? "Unmount " : "") + (rule.isWildcard ? "Wildchar" : "Exact"),
            source: source,
            replyTimeout: x.replyTimeout.map { Int($0.value) } ?? -1, stickyIgnore: x.stickyIgnore ?? false, stateless: x.stateless ?? false,
            failOnStatus: x.failOnStatus.map { $0.map(String.init).joined(separator: ",") } ?? "",
            active: x.active.joined(separator: ","), disabled: x.disabled.joined(separator: ","), stopped: x.stopped.joined(separator: ","),
            useServerErrors: x.useServerErrors ?? 0)
    }
}
