/// The runtime state of one lb member: the part every httpd child must agree on.
///
/// Plain integers only, so the record lives unchanged in the shared-memory region (JkShmFile)
/// and in tests as an array element. Times are `Timestamp.milliseconds` on the shared monotonic
/// clock; 0 means "never".
public struct MemberRuntime: Equatable, Sendable {
    public var stateRaw: UInt8 = MemberState.idle.rawValue
    public var activationRaw: UInt8 = Activation.active.rawValue
    /// Why the member last went into error (`FailureCause` raw value), for logs and status.
    public var lastCauseRaw: UInt8 = 0
    public var reserved: UInt8 = 0
    /// Requests in flight on this member, across all children.
    public var busy: Int32 = 0
    public var maxBusy: Int32 = 0
    public var errors: UInt32 = 0
    public var clientErrors: UInt32 = 0
    /// Reply timeouts, halved at every global maintenance (`max_reply_timeouts`).
    public var replyTimeouts: UInt32 = 0
    public var lbFactor: UInt32 = 1
    public var lbMult: UInt64 = 1
    public var lbValue: UInt64 = 0
    /// Requests sent to this member (mod_jk's `used`, "Acc").
    public var elected: UInt64 = 0
    /// `elected` at the last global maintenance: a member not elected since is marked idle.
    public var electedSnapshot: UInt64 = 0
    /// Requests without a session id sent here (new sessions).
    public var sessions: UInt64 = 0
    public var bytesRead: UInt64 = 0
    public var bytesWritten: UInt64 = 0
    public var firstErrorTime: Int64 = 0
    public var lastErrorTime: Int64 = 0
    /// The last failed health probe (the watchdog's CPING) of a member in error. It restarts
    /// the `recover_time` clock, so no request is offered a member the probes still find down,
    /// but it leaves `lastErrorTime` alone: the status worker's `error_time_ago` keeps growing
    /// while the Tomcat stays down, as in mod_jk.
    public var lastProbeFailure: Int64 = 0
    /// The watchdog of one child claims a health probe until this time, so children do not
    /// probe the same member all at once.
    public var probeClaimedUntil: Int64 = 0
    /// Route-mismatch count: responses whose new session route named another member.
    public var routeMismatches: UInt32 = 0
    /// Times the member came back from error to OK (probe, recovery or forced recovery).
    public var recoveries: UInt32 = 0
    /// Requests that left this member for another one after a failed attempt.
    public var failovers: UInt64 = 0
    /// `distance` (runtime-editable through the status worker).
    public var distance: Int32 = 0
    /// Which settings an operator changed at runtime (`OperatorChange` bits), so they can be
    /// carried over a graceful restart.
    public var changed: UInt16 = 0
    /// Slow start's fraction of a request not yet added to `lbValue` (1/1024ths).
    public var rampRemainder: UInt16 = 0
    /// Last request routed here by its session (drain: a disabled member without sticky
    /// traffic for `drain_timeout` stops by itself).
    public var lastStickyTime: Int64 = 0
    /// When the member was set to Disabled (0: not disabled).
    public var disabledSince: Int64 = 0
    /// When the member came back from error or Stopped: the start of its slow-start ramp.
    public var rampStart: Int64 = 0
    /// Last `cmd=reset` of this member's counters (0: never).
    public var lastReset: Int64 = 0

    public init() {}

    public var state: MemberState {
        get { MemberState(rawValue: stateRaw) ?? .error }
        set { stateRaw = newValue.rawValue }
    }

    public var activation: Activation {
        get { Activation(rawValue: activationRaw) ?? .active }
        set { activationRaw = newValue.rawValue }
    }

    /// Where `recover_time` counts from for a member in error.
    public var recoveryClockStart: Int64 { max(lastErrorTime, lastProbeFailure) }

    /// Forgets the error times (the member is OK again, or its counters were reset).
    public mutating func clearErrorTimes() {
        firstErrorTime = 0
        lastErrorTime = 0
        lastProbeFailure = 0
    }
}

/// Balancer-wide shared values.
public struct BalancerRuntime: Equatable, Sendable {
    /// Last global maintenance (decay, recovery), done once for all children.
    public var lastMaintenance: Int64 = 0
    public var busy: Int32 = 0
    public var maxBusy: Int32 = 0
    /// Requests whose session route matched no member (jvmRoute misconfiguration).
    public var unknownRoutes: UInt64 = 0
    /// Bumped whenever a setting changes at runtime (status worker), so children re-read.
    public var sequence: UInt64 = 0
    /// Requests that failed over from one member to another.
    public var failovers: UInt64 = 0
    /// The runtime-editable lb settings (status worker); see `SharedSettings`.
    public var settings = SharedSettings()
    /// Which lb settings an operator changed at runtime (`OperatorChange` bits).
    public var changed: UInt16 = 0
    public var reserved: UInt16 = 0
    public var reserved2: UInt32 = 0
    /// Last `cmd=reset` of this lb's counters (0: never).
    public var lastReset: Int64 = 0

    public init() {}
}

/// The lb settings an operator can change at runtime, as plain integers in shared memory.
public struct SharedSettings: Equatable, Sendable {
    public var retries: Int32 = 2
    public var maxReplyTimeouts: Int32 = 0
    public var recoverTime: Int64 = 60_000
    public var errorEscalationTime: Int64 = 30_000
    public var stickySession: UInt8 = 1
    public var stickySessionForce: UInt8 = 0
    public var methodRaw: UInt8 = 0
    public var pessimisticLock: UInt8 = 0
    public var reserved: UInt32 = 0

    public init() {}
}

/// The text settings of one member (route, domain, redirect) in shared memory: three fixed
/// fields of up to `capacity` UTF-8 bytes each, so every child sees an operator's change.
public struct MemberLabels: Sendable {
    public static let capacity = 63
    public var route = FixedText()
    public var domain = FixedText()
    public var redirect = FixedText()

    public init() {}

    public init(route: String, domain: String, redirect: String) {
        self.route = FixedText(route)
        self.domain = FixedText(domain)
        self.redirect = FixedText(redirect)
    }
}

/// Up to 63 bytes of UTF-8 stored inline (64 bytes: length, then bytes): a string that can
/// live in the shared-memory file.
public struct FixedText: Sendable, Equatable {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// nil when `text` does not fit (longer than `MemberLabels.capacity` bytes).
    public init?(exactly text: String) {
        guard text.utf8.count <= MemberLabels.capacity else { return nil }
        self.init(text)
    }

    /// The first `MemberLabels.capacity` bytes of `text` (cut at a character boundary).
    public init(_ text: String) {
        var bytes = Array(text.utf8.prefix(MemberLabels.capacity))
        while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        withUnsafeMutableBytes(of: &storage) { raw in
            raw[0] = UInt8(bytes.count)
            for (offset, byte) in bytes.enumerated() { raw[offset + 1] = byte }
        }
    }

    public var string: String {
        withUnsafeBytes(of: storage) { raw in
            let count = min(Int(raw[0]), MemberLabels.capacity)
            return String(decoding: raw[1..<(1 + count)], as: UTF8.self)
        }
    }

    public static func == (lhs: FixedText, rhs: FixedText) -> Bool {
        withUnsafeBytes(of: lhs.storage) { a in withUnsafeBytes(of: rhs.storage) { b in a.elementsEqual(b) } }
    }
}

/// Bits of `MemberRuntime.changed` and `BalancerRuntime.changed`: what an operator changed.
public enum OperatorChange {
    public static let activation: UInt16 = 1 << 0
    public static let lbFactor: UInt16 = 1 << 1
    public static let route: UInt16 = 1 << 2
    public static let redirect: UInt16 = 1 << 3
    public static let domain: UInt16 = 1 << 4
    public static let distance: UInt16 = 1 << 5

    public static let retries: UInt16 = 1 << 0
    public static let recoverTime: UInt16 = 1 << 1
    public static let errorEscalationTime: UInt16 = 1 << 2
    public static let maxReplyTimeouts: UInt16 = 1 << 3
    public static let stickySession: UInt16 = 1 << 4
    public static let stickySessionForce: UInt16 = 1 << 5
    public static let method: UInt16 = 1 << 6
    public static let lock: UInt16 = 1 << 7
}
