import JKCore

/// What happened to an attempt on a member, in the categories the lb's `service` loop
/// distinguishes (mod_jk's `service_stat`).
public enum AttemptResult: Equatable, Sendable {
    case success
    /// The client failed: the member is fine, the request stops.
    case clientError
    /// Our own failure (JK_SERVER_ERROR): member state unchanged, try another.
    case internalError
    /// A malformed AJP packet: member state unchanged, try another.
    case protocolError
    /// A negative `fail_on_status` code: the member is fine, try another.
    case statusError
    /// A positive `fail_on_status` code: the member goes to error.
    case statusFatal
    /// `reply_timeout` expired: error once more than `max_reply_timeouts` piled up.
    case replyTimeout
    /// Connect/CPING/send/receive failure: error at once unless other requests are busy on the
    /// member and `error_escalation_time` has not passed ("local error").
    case backendError
    /// The member is certainly down (connection refused, no CPONG on a fresh connection, hung):
    /// error at once, whatever else is in flight — waiting for escalation would make every new
    /// request pay for finding out again. (SwiftJK; mod_jk treats these like `backendError`.)
    case backendDown
}

/// Why a member went into error, kept in its record for logs and the status page.
public enum FailureCause: UInt8, Sendable {
    case none = 0
    case connectRefused = 1
    case connectTimeout = 2
    case cpingTimeout = 3
    case reset = 4
    case replyTimeout = 5
    case protocolError = 6
    case failOnStatus = 7
    case other = 8
    case notAJP = 9
    case hung = 10

    /// Whether a CPONG proves the cause gone. A Tomcat that answers CPING can still answer
    /// fail_on_status codes, reply slowly or send bad packets: such members wait for
    /// `recover_time`, as in mod_jk, instead of flapping back after one probe.
    public var isCuredByCPONG: Bool {
        switch self {
        case .replyTimeout, .protocolError, .failOnStatus: false
        default: true
        }
    }

    public var text: String {
        switch self {
        case .none: ""
        case .connectRefused: "connect refused"
        case .connectTimeout: "connect timed out"
        case .cpingTimeout: "no CPONG"
        case .reset: "connection reset"
        case .replyTimeout: "reply timeout"
        case .protocolError: "protocol error"
        case .failOnStatus: "fail_on_status"
        case .other: "error"
        case .notAJP: "port does not speak AJP"
        case .hung: "hung (silent, no CPONG)"
        }
    }
}

/// A member's global state change, for one log line.
public struct StateChange: Equatable, Sendable {
    public var member: Int
    public var from: MemberState
    public var to: MemberState

    public init(member: Int, from: MemberState, to: MemberState) {
        self.member = member
        self.from = from
        self.to = to
    }
}

extension Balancer {
    /// The side effects of sending a request to `member` (inside the lock, right after `choose`):
    /// recover → probe, `lb_value` increment, sessions, elected, busy.
    public func commit<M: MutableCollection & RandomAccessCollection>(
        _ choice: Choice, runtime: inout M, request: BalancingRequest, now: Timestamp
    ) where M.Element == MemberRuntime, M.Index == Int {
        let position = runtime.startIndex + choice.member
        var record = runtime[position]
        if record.state == .recovering { record.state = .probing }
        let increment = method.increment(lbMult: record.lbMult, hasSession: request.hasSession, stateless: request.stateless)
        record.lbValue &+= slowStartIncrement(increment, member: choice.member, record: &record, now: now)
        if !request.hasSession && !request.stateless { record.sessions &+= 1 }
        if choice.isSticky { record.lastStickyTime = now.milliseconds }
        record.elected &+= 1
        record.busy &+= 1
        if record.busy > record.maxBusy { record.maxBusy = record.busy }
        runtime[position] = record
    }

    /// Records how an attempt ended (inside the lock). Updates the shared record and the
    /// request's own view; returns the global state change, if any, for logging.
    ///
    /// `startedAt` is when the attempt was chosen. An attempt that answered but began before the
    /// member's error was recorded (a reply already on its way when another request found the
    /// Tomcat gone) does not clear that error: the member would otherwise come back for the
    /// next request to fail on again, and the error be reported twice. (mod_jk clears it.)
    public func record<M: MutableCollection & RandomAccessCollection>(
        _ result: AttemptResult, cause: FailureCause = .none, member: Int, bytes: UInt64,
        runtime: inout M, local: inout RequestMemberStates, startedAt: Timestamp? = nil, now: Timestamp
    ) -> StateChange? where M.Element == MemberRuntime, M.Index == Int {
        let position = runtime.startIndex + member
        var record = runtime[position]
        let before = record.state
        record.busy = max(0, record.busy &- 1)
        record.lbValue = method.afterRequest(lbValue: record.lbValue, lbMult: record.lbMult, bytes: bytes)
        if record.state != .error { record.state = .ok }
        let erroredSinceStart = before == .error && startedAt.map { record.lastErrorTime > $0.milliseconds } == true
        func clearError() {
            guard !erroredSinceStart else { return }
            record.state = .ok
            record.clearErrorTimes()
        }
        switch result {
        case .success:
            if before.isError && !erroredSinceStart { markReturned(&record, now: now) }
            clearError()
        case .clientError:
            clearError()
            record.clientErrors &+= 1
            local.markFailed(member)
        case .internalError, .protocolError:
            local.markFailed(member)
        case .statusError:
            clearError()
            local.markFailed(member)
        case .statusFatal, .backendDown:
            record.errors &+= 1
            record.state = .error
            record.firstErrorTime = now.milliseconds
            record.lastErrorTime = now.milliseconds
            record.lastCauseRaw = cause.rawValue
            local.markFailed(member)
        case .replyTimeout:
            record.replyTimeouts &+= 1
            if Int(record.replyTimeouts) > settings.maxReplyTimeouts {
                record.errors &+= 1
                record.state = .error
                record.firstErrorTime = now.milliseconds
                record.lastErrorTime = now.milliseconds
                record.lastCauseRaw = cause.rawValue
            }
            local.markFailed(member)
        case .backendError:
            record.errors &+= 1
            let escalate = record.busy == 0 || settings.errorEscalationTime.value == 0
                || (record.firstErrorTime > 0 && now.milliseconds &- record.firstErrorTime >= settings.errorEscalationTime.value)
            if escalate { record.state = .error }
            if record.firstErrorTime == 0 { record.firstErrorTime = now.milliseconds }
            record.lastErrorTime = now.milliseconds
            record.lastCauseRaw = cause.rawValue
            local.markFailed(member)
        }
        runtime[position] = record
        return before != record.state ? StateChange(member: member, from: before, to: record.state) : nil
    }

    /// No free connection for `member` within `connection_acquire_timeout`: busy, try another.
    /// The chosen member had no free connection in this child: the request never reached it, so
    /// what `commit` counted for it (lb_value, sessions, elected) is taken back — under Busyness
    /// an unreturned increment would stay forever.
    public func recordBusy<M: MutableCollection & RandomAccessCollection>(
        member: Int, runtime: inout M, local: inout RequestMemberStates, request: BalancingRequest
    ) where M.Element == MemberRuntime, M.Index == Int {
        let position = runtime.startIndex + member
        var record = runtime[position]
        let increment = method.increment(lbMult: record.lbMult, hasSession: request.hasSession, stateless: request.stateless)
        record.lbValue = record.lbValue >= increment ? record.lbValue &- increment : 0
        if !request.hasSession && !request.stateless && record.sessions > 0 { record.sessions &-= 1 }
        if record.elected > 0 { record.elected &-= 1 }
        record.busy = max(0, record.busy &- 1)
        if record.state != .error { record.state = .busy }
        runtime[position] = record
        local.markBusy(member)
    }

    /// Slow start: while a returning member ramps up, each request it takes counts as
    /// `slow_start / elapsed` requests (at most `slowStartMaximumFactor`), so its share of new
    /// requests grows from about 1/20 of its lbfactor to all of it over the ramp. The weight is
    /// fractional: the part below one request is carried in `rampRemainder` (1/1024ths), so the
    /// ramp is smooth to its end. Methods whose value is not a request count (Traffic,
    /// Busyness) are not ramped.
    public func slowStartIncrement(_ increment: UInt64, member: Int, record: inout MemberRuntime, now: Timestamp) -> UInt64 {
        let weight = slowStartWeight(member, record, now: now)
        guard weight != Self.slowStartUnit, increment > 0 else { return increment }
        let scaled = increment &* weight &+ UInt64(record.rampRemainder)
        record.rampRemainder = UInt16(scaled % Self.slowStartUnit)
        return scaled / Self.slowStartUnit
    }

    /// The weight of one request on `member` now, in 1/1024ths (1024 = an ordinary request).
    public func slowStartWeight(_ member: Int, _ record: MemberRuntime, now: Timestamp) -> UInt64 {
        guard member < members.count, record.rampStart > 0 else { return Self.slowStartUnit }
        let ramp = members[member].slowStart.value
        let elapsed = now.milliseconds &- record.rampStart
        guard ramp > 0, elapsed >= 0, elapsed < ramp else { return Self.slowStartUnit }
        let maximum = UInt64(Self.slowStartMaximumFactor) * Self.slowStartUnit
        guard elapsed > 0 else { return maximum }
        let weight = UInt64(ramp) * Self.slowStartUnit / UInt64(elapsed)
        return min(maximum, max(Self.slowStartUnit, weight))
    }

    /// The most a request on a returning member counts (see `slowStartIncrement`).
    public static let slowStartMaximumFactor: Int64 = 20
    static let slowStartUnit: UInt64 = 1024

    /// A member comes back (from error or Stopped): starts its slow-start ramp and counts the
    /// recovery.
    func markReturned(_ record: inout MemberRuntime, now: Timestamp) {
        record.rampStart = now.milliseconds
        record.recoveries &+= 1
    }

    /// Whether the watchdog's CPING may end this member's error. Not after a failure a CPONG
    /// does not disprove (`FailureCause.isCuredByCPONG`), and not when the member failed again
    /// within `recover_time` of coming back: one that answers CPING but fails its requests (it
    /// resets them, say) would otherwise be let back every second, each time at the cost of a
    /// real request. It waits for `recover_time` then, as in mod_jk.
    public func probeMayCure(_ record: MemberRuntime) -> Bool {
        if let cause = FailureCause(rawValue: record.lastCauseRaw), !cause.isCuredByCPONG { return false }
        if record.rampStart > 0, record.lastErrorTime > 0, record.lastErrorTime &- record.rampStart < settings.recoverTime.value {
            return false
        }
        return true
    }

    /// A health probe (CPING from the watchdog) succeeded: the member takes requests again at
    /// once, starting at the current maximum lb_value so it is not flooded.
    public func recordProbeSuccess<M: MutableCollection & RandomAccessCollection>(
        member: Int, runtime: inout M, now: Timestamp
    ) -> StateChange? where M.Element == MemberRuntime, M.Index == Int {
        let position = runtime.startIndex + member
        let before = runtime[position].state
        guard before.isError || before == .busy else { return nil }
        // BUSY is a pool running out, not an error: keep its reply-timeout and escalation
        // bookkeeping, and say nothing (the lb takes it back as soon as a child has a slot).
        if before == .busy {
            runtime[position].state = .ok
            return nil
        }
        if method.resetsRecoveredValue {
            runtime[position].lbValue = runtime.reduce(0) { max($0, $1.lbValue) }
        }
        runtime[position].state = .ok
        markReturned(&runtime[position], now: now)
        runtime[position].replyTimeouts = 0
        runtime[position].clearErrorTimes()
        runtime[position].lastCauseRaw = 0
        return StateChange(member: member, from: before, to: .ok)
    }

    /// `force_recovery`: when nothing is usable, every member in error is tried once more.
    /// Returns how many were forced.
    public func forceRecovery<M: MutableCollection & RandomAccessCollection>(
        runtime: inout M, local: inout RequestMemberStates
    ) -> Int where M.Element == MemberRuntime, M.Index == Int {
        var forced = 0
        for member in members.indices {
            let position = runtime.startIndex + member
            guard runtime[position].state == .error else { continue }
            runtime[position].state = .forcedRecovery
            runtime[position].replyTimeouts = 0
            let bit = UInt64(1) << UInt64(member & 63)
            local.forced |= bit
            local.failed &= ~bit
            forced += 1
        }
        return forced
    }
}
