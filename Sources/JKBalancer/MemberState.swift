/// A member's health as mod_jk names it (`jk_lb_worker.h`). The raw values are mod_jk's, and the
/// order matters: a member is usable while its state is at most `.forcedRecovery`.
public enum MemberState: UInt8, Sendable, CaseIterable {
    /// OK/IDLE: healthy, but not elected since the last global maintenance.
    case idle = 0
    /// OK.
    case ok = 1
    /// ERR/REC: in error for longer than `recover_time`; the next request may try it.
    case recovering = 2
    /// ERR/FRC: every member was in error, so recovery was forced.
    case forcedRecovery = 3
    /// OK/BUSY: no free connection (`connection_acquire_timeout` expired).
    case busy = 4
    /// ERR.
    case error = 5
    /// ERR/PRB: one request is probing it after recovery.
    case probing = 6

    /// mod_jk's status-page spelling.
    public var label: String {
        switch self {
        case .idle: "OK/IDLE"
        case .ok: "OK"
        case .recovering: "ERR/REC"
        case .forcedRecovery: "ERR/FRC"
        case .busy: "OK/BUSY"
        case .error: "ERR"
        case .probing: "ERR/PRB"
        }
    }

    /// `state <= JK_LB_STATE_FORCE`.
    public var isUsable: Bool { rawValue <= MemberState.forcedRecovery.rawValue }
    public var isError: Bool { self == .error || self == .recovering || self == .forcedRecovery || self == .probing }
}

/// `activation`: Active, Disabled (only sticky requests), Stopped (nothing).
public enum Activation: UInt8, Sendable, CaseIterable {
    case active = 0
    case disabled = 1
    case stopped = 2

    /// ACT / DIS / STP, the value of the `JK_LB_ACTIVATION` attribute sent to Tomcat.
    public var code: String {
        switch self {
        case .active: "ACT"
        case .disabled: "DIS"
        case .stopped: "STP"
        }
    }

    /// mod_jk's `jk_lb_get_activation_code`: first letter A/D/S or digit 0/1/2.
    public init?(parsing text: some StringProtocol) {
        switch text.first {
        case "a", "A", "0": self = .active
        case "d", "D", "1": self = .disabled
        case "s", "S", "2": self = .stopped
        default: return nil
        }
    }
}

extension MemberState {
    /// `JK_WORKER_USABLE`: may take a request without a session.
    public func isUsable(for activation: Activation) -> Bool { isUsable && activation == .active }
    /// `JK_WORKER_USABLE_STICKY`: may take its own sticky requests (disabled members still do).
    public func isUsableSticky(for activation: Activation) -> Bool { isUsable && activation != .stopped }
}
