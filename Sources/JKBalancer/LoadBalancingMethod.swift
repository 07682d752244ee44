/// How a member's `lb_value` grows and decays (mod_jk's `method=`). Choosing is the same for all
/// methods — the usable member with the lowest distance, then the lowest `lb_value`, ties in
/// rotation — so a method only says how the value moves.
///
/// Worked schedules (no maintenance in between, members a, b, …):
/// - Request, lbfactor 1,1,1,2 → `a b c d d a b c d d …`
/// - Request, lbfactor 1,3 → `a b b b a b b b …` (exactly 100:300 over 400 choices)
public protocol LoadBalancingMethod: Sendable {
    /// Added to `lb_value` when a request is sent to the member.
    func increment(lbMult: UInt64, hasSession: Bool, stateless: Bool) -> UInt64
    /// The new `lb_value` after a request finished, given the bytes it moved.
    func afterRequest(lbValue: UInt64, lbMult: UInt64, bytes: UInt64) -> UInt64
    /// Applies `exponent` halvings (global maintenance). `usable` tells which members count for
    /// the minimum of the Next method.
    func decay(_ values: inout [UInt64], exponent: Int, usable: [Bool])
    /// Whether a recovered member starts at the current maximum (all but Busyness).
    var resetsRecoveredValue: Bool { get }
}

extension LoadBalancingMethod {
    public func afterRequest(lbValue: UInt64, lbMult: UInt64, bytes: UInt64) -> UInt64 { lbValue }
    public var resetsRecoveredValue: Bool { true }

    public func decay(_ values: inout [UInt64], exponent: Int, usable: [Bool]) {
        let shift = UInt64(min(max(exponent, 0), 63))
        for index in values.indices { values[index] >>= shift }
    }
}

/// `method=R` (default): every request counts.
public struct RequestsMethod: LoadBalancingMethod {
    public init() {}
    public func increment(lbMult: UInt64, hasSession: Bool, stateless: Bool) -> UInt64 { lbMult }
}

/// `method=S`: only requests without a session id (new sessions) count.
public struct SessionsMethod: LoadBalancingMethod {
    public init() {}
    public func increment(lbMult: UInt64, hasSession: Bool, stateless: Bool) -> UInt64 {
        hasSession || stateless ? 0 : lbMult
    }
}

/// `method=N`: like Session, but maintenance subtracts the minimum of the usable members
/// instead of halving.
public struct NextMethod: LoadBalancingMethod {
    public init() {}
    public func increment(lbMult: UInt64, hasSession: Bool, stateless: Bool) -> UInt64 {
        hasSession || stateless ? 0 : lbMult
    }

    public func decay(_ values: inout [UInt64], exponent: Int, usable: [Bool]) {
        var minimum: UInt64?
        for index in values.indices where index < usable.count && usable[index] {
            minimum = min(minimum ?? values[index], values[index])
        }
        let floor = minimum ?? 0
        for index in values.indices { values[index] = values[index] >= floor ? values[index] - floor : 0 }
    }
}

/// `method=T`: bytes moved, weighted.
public struct TrafficMethod: LoadBalancingMethod {
    public init() {}
    public func increment(lbMult: UInt64, hasSession: Bool, stateless: Bool) -> UInt64 { 0 }
    public func afterRequest(lbValue: UInt64, lbMult: UInt64, bytes: UInt64) -> UInt64 {
        lbValue &+ bytes &* lbMult
    }
}

/// `method=B`: requests in flight; never decayed.
public struct BusynessMethod: LoadBalancingMethod {
    public init() {}
    public func increment(lbMult: UInt64, hasSession: Bool, stateless: Bool) -> UInt64 { lbMult }
    public func afterRequest(lbValue: UInt64, lbMult: UInt64, bytes: UInt64) -> UInt64 {
        lbValue >= lbMult ? lbValue - lbMult : 0
    }
    public func decay(_ values: inout [UInt64], exponent: Int, usable: [Bool]) {}
    public var resetsRecoveredValue: Bool { false }
}

/// The `method=` values, parsed as mod_jk's `jk_lb_get_method_code` does: first letter or digit.
public enum LoadBalancingMethodKind: String, Sendable, CaseIterable {
    case requests = "Request"
    case traffic = "Traffic"
    case busyness = "Busyness"
    case sessions = "Session"
    case next = "Next"

    public init?(parsing text: some StringProtocol) {
        switch text.first {
        case "r", "R", "0": self = .requests
        case "t", "T", "1": self = .traffic
        case "b", "B", "2": self = .busyness
        case "s", "S", "3": self = .sessions
        case "n", "N", "4": self = .next
        default: return nil
        }
    }

    public var method: any LoadBalancingMethod {
        switch self {
        case .requests: RequestsMethod()
        case .traffic: TrafficMethod()
        case .busyness: BusynessMethod()
        case .sessions: SessionsMethod()
        case .next: NextMethod()
        }
    }
}
