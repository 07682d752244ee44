import JKBalancer
import JKClient
import JKCore
import JKPosix

/// Periodic work shared by the watchdog and (when no watchdog runs) the request path.
enum Maintenance {
    static func run(_ runtime: Runtime, now: Timestamp, probe: Bool) {
        runtime.pullAJPSettings()
        let configuration = runtime.configuration
        let log = configuration.mainLog
        for plan in configuration.plans {
            guard case .lb(let lb) = plan, let shared = configuration.shared else { continue }
            let balancer = runtime.pull(lb, shared).balancer
            let outcome = shared.withBalancer(lb.sharedSlot) { balancerRecord, members -> ([StateChange]?, [Int]) in
                let drained = balancer.stopDrained(runtime: &members, now: now)
                if !drained.isEmpty { balancerRecord.sequence &+= 1 }
                return (balancer.maintainIfDue(runtime: &members, shared: &balancerRecord, now: now), drained)
            }
            if let changes = outcome?.0 {
                for change in changes { logChange(change, lb: lb, configuration: configuration, log: log, via: "maintenance") }
            }
            for member in outcome?.1 ?? [] where member < balancer.members.count {
                let timeout = balancer.members[member].drainTimeout
                log.info("member \(balancer.members[member].name) of \(lb.name) drained: Disabled with no sticky request for drain_timeout \(timeout), now Stopped (activation DIS → STP)")
            }
            if probe { probeMembers(lb, balancer: balancer, runtime: runtime, shared: shared, now: now) }
        }
        for (index, client) in runtime.clients.enumerated() {
            guard let client, case .ajp(let plan) = configuration.plans[index] else { continue }
            client.sweep()
            let interval = plan.idlePingInterval(plan.live)
            if interval.value > 0 { client.probeIdle(interval: interval) }
        }
    }

    /// CPINGs members in error (one child claims each probe per interval through the shared
    /// record); a CPONG brings the member back at once, unless the error was one a CPONG does
    /// not disprove (fail_on_status, reply timeouts, protocol errors: recover_time applies).
    static func probeMembers(_ lb: LBPlan, balancer: Balancer, runtime: Runtime, shared: SharedBalancerState, now: Timestamp) {
        let configuration = runtime.configuration
        let claimFor = Int64(1000)
        let claimed: [Int] = shared.withBalancer(lb.sharedSlot) { _, members in
            var list: [Int] = []
            for index in 0..<min(members.count, lb.memberWorkers.count) {
                let record = members[index]
                guard record.state.isError || record.state == .busy, record.activation != .stopped,
                    record.probeClaimedUntil <= now.milliseconds
                else { continue }
                if record.state.isError && !balancer.probeMayCure(record) { continue }
                members[index].probeClaimedUntil = now.milliseconds + claimFor
                list.append(index)
            }
            return list
        } ?? []
        for member in claimed {
            let planIndex = lb.memberWorkers[member]
            guard let client = runtime.client(planIndex), case .ajp(let ajp) = configuration.plans[planIndex] else { continue }
            let result = client.probe(timeout: Milliseconds(ajp.live.pingTimeout))
            let change: StateChange? = shared.withBalancer(lb.sharedSlot) { _, members -> StateChange? in
                switch result {
                case .success:
                    return lb.balancer.recordProbeSuccess(member: member, runtime: &members, now: SystemClock.now())
                case .failure(let failure):
                    members[member].lastCauseRaw = MemberAttempt.cause(of: failure).rawValue
                    members[member].lastProbeFailure = SystemClock.now().milliseconds
                    return nil
                }
            } ?? nil
            if let change {
                logChange(change, lb: lb, configuration: configuration, log: configuration.mainLog, via: "CPONG")
            }
        }
    }

    /// One line per member state change, with its cause: at error when a member goes into
    /// error (a jk log kept at `error` must still say that a Tomcat is down, as mod_jk's does),
    /// at info otherwise.
    /// `probed`: whether the watchdog's CPING may end this error (not after fail_on_status,
    /// reply timeouts or protocol errors, which wait for recover_time).
    static func logChange(
        _ change: StateChange, lb: LBPlan, configuration: Configuration, log: JKLog, via: String, cause: String? = nil,
        probed: Bool = true
    ) {
        guard change.member < lb.memberWorkers.count else { return }
        let planIndex = lb.memberWorkers[change.member]
        guard case .ajp(let ajp) = configuration.plans[planIndex] else { return }
        let who = "member \(ajp.name) (\(ajp.endpoint)) of \(lb.name)"
        switch change.to {
        case .ok where change.from.isError || change.from == .busy:
            log.info("\(who) OK again after \(via)")
        case .error where change.from.isError:
            // A forced or timed recovery attempt failed again: already reported when it failed.
            log.debug("\(who) still ERR after \(via): \(cause ?? "failed")")
        case .error:
            let interval = configuration.jk.global.watchdogInterval ?? Watchdog.defaultInterval
            let next = interval > 0 && probed
                ? "next probe in \(interval) s" : "retried after recover_time \(lb.balancer.settings.recoverTime)"
            log.error("\(who) ERR: \(cause ?? "failed"); \(next)")
        case .recovering:
            log.info("\(who) ERR/REC: recover_time passed, the next request will try it")
        case .idle, .ok, .busy:
            log.debug("\(who) \(change.from.label) → \(change.to.label)")
        default:
            log.info("\(who) \(change.from.label) → \(change.to.label)")
        }
    }
}
