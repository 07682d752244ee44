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
    /// The watchdog of one child claims a health probe until this time, so children do not
    /// probe the same member all at once.
    public var probeClaimedUntil: Int64 = 0
    /// Route-mismatch count: responses whose new session route named another member.
    public var routeMismatches: UInt32 = 0
    public var reserved2: UInt32 = 0

    public init() {}

    public var state: MemberState {
        get { MemberState(rawValue: stateRaw) ?? .error }
        set { stateRaw = newValue.rawValue }
    }

    public var activation: Activation {
        get { Activation(rawValue: activationRaw) ?? .active }
        set { activationRaw = newValue.rawValue }
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

    public init() {}
}
