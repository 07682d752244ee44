import JKCore

/// What an operator does through the status worker (mod_jk's `jk_status.c` update, reset and
/// recover), as changes to the shared records. The caller holds the lock, bumps the sequence so
/// every child re-reads, and logs what changed.
extension Balancer {
    /// Sets a member's activation. Coming back from Stopped starts the slow-start ramp; going
    /// to Disabled starts the drain clock.
    public func setActivation<M: MutableCollection & RandomAccessCollection>(
        _ activation: Activation, member: Int, runtime: inout M, now: Timestamp
    ) where M.Element == MemberRuntime, M.Index == Int {
        guard member >= 0, member < runtime.count else { return }
        let position = runtime.startIndex + member
        var record = runtime[position]
        let before = record.activation
        guard before != activation else { return }
        if before == .stopped { markReturned(&record, now: now) }
        record.activation = activation
        record.disabledSince = activation == .disabled ? now.milliseconds : 0
        record.changed |= OperatorChange.activation
        runtime[position] = record
        // mod_jk starts every member's load value again after an activation change (not under
        // Busyness, where it counts requests in flight).
        if method.resetsRecoveredValue {
            for index in runtime.indices { runtime[index].lbValue = 0 }
        }
    }

    /// Sets a member's lbfactor and recomputes every member's multiplier (`update_mult`).
    public func setLBFactor<M: MutableCollection & RandomAccessCollection>(
        _ factor: Int, member: Int, runtime: inout M
    ) where M.Element == MemberRuntime, M.Index == Int {
        guard member >= 0, member < runtime.count else { return }
        runtime[runtime.startIndex + member].lbFactor = UInt32(clamping: max(1, factor))
        runtime[runtime.startIndex + member].changed |= OperatorChange.lbFactor
        let mults = Self.multipliers(for: runtime.map { Int($0.lbFactor) })
        for (offset, mult) in mults.enumerated() { runtime[runtime.startIndex + offset].lbMult = mult }
    }

    /// `cmd=reset` of one member: statistics start again, OK/IDLE, no error time, load value
    /// 0 (mod_jk's `reset_worker`); busy and activation are kept.
    public static func resetCounters(_ record: inout MemberRuntime, now: Timestamp) {
        record.elected = 0
        record.electedSnapshot = 0
        record.sessions = 0
        record.errors = 0
        record.clientErrors = 0
        record.replyTimeouts = 0
        record.bytesRead = 0
        record.bytesWritten = 0
        record.maxBusy = 0
        record.lbValue = 0
        record.clearErrorTimes()
        record.lastCauseRaw = 0
        record.state = .idle
        record.routeMismatches = 0
        record.failovers = 0
        record.recoveries = 0
        record.lastReset = now.milliseconds
    }

    /// `cmd=recover`: a member in error is marked for recovery (ERR/REC) at once, so the next
    /// request tries it, as mod_jk's "T(ry recovery)". Returns false when it was not in error.
    public func markForRecovery<M: MutableCollection & RandomAccessCollection>(
        member: Int, runtime: inout M
    ) -> Bool where M.Element == MemberRuntime, M.Index == Int {
        guard member >= 0, member < runtime.count else { return false }
        let position = runtime.startIndex + member
        guard runtime[position].state == .error else { return false }
        if method.resetsRecoveredValue { runtime[position].lbValue = runtime.reduce(0) { max($0, $1.lbValue) } }
        runtime[position].replyTimeouts = 0
        runtime[position].state = .recovering
        return true
    }
}
