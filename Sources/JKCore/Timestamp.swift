/// A point on a monotonic clock shared by every process of the machine (CLOCK_MONOTONIC), in
/// milliseconds.
///
/// Pure code never reads a clock: the shell passes `now` in, and tests pass any value they like.
/// Plain integers, so a timestamp can live in the shared-memory balancer record unchanged.
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static let zero = Timestamp(milliseconds: 0)

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public static func + (lhs: Timestamp, rhs: Milliseconds) -> Timestamp {
        Timestamp(milliseconds: lhs.milliseconds &+ rhs.value)
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Milliseconds {
        Milliseconds(lhs.milliseconds &- rhs.milliseconds)
    }

    public var description: String { "t=\(milliseconds)ms" }
}

/// A span of time in milliseconds (configuration values such as `socket_connect_timeout` are
/// given in ms or s; both end up here).
public struct Milliseconds: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(_ value: Int) { self.value = Int64(value) }

    public static func seconds(_ seconds: Int) -> Milliseconds { Milliseconds(Int64(seconds) &* 1000) }
    public static let zero = Milliseconds(Int64(0))

    public static func < (lhs: Milliseconds, rhs: Milliseconds) -> Bool { lhs.value < rhs.value }

    public var description: String {
        value % 1000 == 0 ? "\(value / 1000) s" : "\(value) ms"
    }
}
