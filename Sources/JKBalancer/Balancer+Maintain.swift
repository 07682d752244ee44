import JKCore

/// Global maintenance (`maintain_workers`, `decay_load`, `recover_workers`): done once for all
/// children, by whichever child first finds it due.
extension Balancer {
    /// mod_jk allows a little tolerance so maintenance is not skipped for being a few ms early.
    static let maintainTolerance = Milliseconds.seconds(2)

    /// Runs maintenance when `worker.maintain` has passed since the last run; returns the state
    /// changes (recovery, escalation, idle) for logging, or nil when it was not due.
    public func maintainIfDue<M: MutableCollection & RandomAccessCollection>(
        runtime: inout M, shared: inout BalancerRuntime, now: Timestamp
    ) -> [StateChange]? where M.Element == MemberRuntime, M.Index == Int {
        let interval = max(settings.maintainInterval.value, 1)
        if shared.lastMaintenance == 0 {
            shared.lastMaintenance = now.milliseconds
            return nil
        }
        let delta = now.milliseconds &- shared.lastMaintenance &+ Self.maintainTolerance.value
        guard delta >= interval else { return nil }
        shared.lastMaintenance = now.milliseconds
        decay(runtime: &runtime, exponent: Int(delta / interval))
        let changes = recover(runtime: &runtime, now: now)
        if changes.nonErrorCount == 0 {
            var ignored = RequestMemberStates()
            _ = forceRecovery(runtime: &runtime, local: &ignored)
        }
        return changes.list
    }

    /// Halves load values `exponent` times (method-specific) and reply-timeout counters.
    func decay<M: MutableCollection & RandomAccessCollection>(
        runtime: inout M, exponent: Int
    ) where M.Element == MemberRuntime, M.Index == Int {
        var values = members.indices.map { runtime[runtime.startIndex + $0].lbValue }
        let usable = members.indices.map { index in
            let record = runtime[runtime.startIndex + index]
            return record.state.isUsable(for: record.activation)
        }
        method.decay(&values, exponent: exponent, usable: usable)
        let shift = UInt32(min(max(exponent, 0), 31))
        for index in members.indices {
            let position = runtime.startIndex + index
            runtime[position].lbValue = values[index]
            runtime[position].replyTimeouts >>= shift
        }
    }

    /// `recover_workers`: members in error past `recover_time` become recoverable (at the
    /// current maximum lb_value); local errors older than `error_escalation_time` escalate; OK
    /// members not elected since the last run become idle.
    func recover<M: MutableCollection & RandomAccessCollection>(
        runtime: inout M, now: Timestamp
    ) -> (list: [StateChange], nonErrorCount: Int) where M.Element == MemberRuntime, M.Index == Int {
        var changes: [StateChange] = []
        var nonError = 0
        let currentMax = runtime.reduce(UInt64(0)) { max($0, $1.lbValue) }
        for index in members.indices {
            let position = runtime.startIndex + index
            var record = runtime[position]
            let before = record.state
            if record.state == .error {
                if now.milliseconds &- record.recoveryClockStart > settings.recoverTime.value {
                    if method.resetsRecoveredValue { record.lbValue = currentMax }
                    record.replyTimeouts = 0
                    record.state = .recovering
                    nonError += 1
                }
            } else if record.firstErrorTime > 0,
                now.milliseconds &- record.firstErrorTime >= settings.errorEscalationTime.value,
                record.state != .recovering
            {
                record.state = .error
            } else {
                nonError += 1
                if record.state == .ok && record.elected == record.electedSnapshot { record.state = .idle }
            }
            record.electedSnapshot = record.elected
            runtime[position] = record
            if before != record.state { changes.append(StateChange(member: index, from: before, to: record.state)) }
        }
        return (changes, nonError)
    }
}

extension Balancer {
    /// The drain deadline (HAProxy's drain → maint): a Disabled member with a `drain_timeout`
    /// that has served no sticky request for that long (counted from the later of the
    /// disabling and its last sticky request) becomes Stopped. Returns the members stopped.
    /// Cheap and lock-friendly: called on every watchdog tick, not only at global maintenance.
    public func stopDrained<M: MutableCollection & RandomAccessCollection>(
        runtime: inout M, now: Timestamp
    ) -> [Int] where M.Element == MemberRuntime, M.Index == Int {
        var stopped: [Int] = []
        for index in members.indices where index < runtime.count {
            let position = runtime.startIndex + index
            guard runtime[position].activation == .disabled else {
                runtime[position].disabledSince = 0
                continue
            }
            if runtime[position].disabledSince == 0 { runtime[position].disabledSince = now.milliseconds }
            let timeout = members[index].drainTimeout.value
            guard timeout > 0 else { continue }
            let quietSince = max(runtime[position].disabledSince, runtime[position].lastStickyTime)
            if now.milliseconds &- quietSince >= timeout {
                runtime[position].activation = .stopped
                runtime[position].disabledSince = 0
                runtime[position].changed |= OperatorChange.activation
                stopped.append(index)
            }
        }
        return stopped
    }
}
