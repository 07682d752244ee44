/// The ajp13 settings an operator can change at runtime (mod_jk's `va*` update parameters), as
/// plain integers in shared memory, one record per ajp13 worker (lb members included). Each child
/// applies them to its pool and its next requests when the shared sequence moves.
public struct AJPSharedSettings: Equatable, Sendable {
    /// Milliseconds.
    public var replyTimeout: Int64 = 0
    public var pingTimeout: Int64 = 0
    /// CPING after connect / before each request; 0 = off.
    public var connectTimeout: Int64 = 0
    public var prepostTimeout: Int64 = 0
    /// Milliseconds (shown in seconds).
    public var connectionPoolTimeout: Int64 = 0
    public var connectionPingInterval: Int64 = 0
    public var retries: Int32 = 2
    public var recoveryOptions: Int32 = 0
    public var busyLimit: Int32 = 0
    /// Which settings an operator changed (`AJPChange.bit`).
    public var changed: UInt16 = 0
    public var reserved: UInt16 = 0

    public init() {}
}

/// One `va*` change.
public enum AJPChange: Sendable, Equatable {
    case replyTimeout(Int64)
    case pingTimeout(Int64)
    case connectTimeout(Int64)
    case prepostTimeout(Int64)
    case connectionPoolTimeout(seconds: Int64)
    case connectionPingInterval(seconds: Int64)
    case retries(Int32)
    case recoveryOptions(Int32)
    case busyLimit(Int32)

    /// The status output's field name.
    public var field: String {
        switch self {
        case .replyTimeout: "reply_timeout"
        case .pingTimeout: "ping_timeout"
        case .connectTimeout: "connect_timeout"
        case .prepostTimeout: "prepost_timeout"
        case .connectionPoolTimeout: "connection_pool_timeout"
        case .connectionPingInterval: "connection_ping_interval"
        case .retries: "retries"
        case .recoveryOptions: "recovery_options"
        case .busyLimit: "busy_limit"
        }
    }

    public var bit: UInt16 {
        switch self {
        case .replyTimeout: 1 << 0
        case .pingTimeout: 1 << 1
        case .connectTimeout: 1 << 2
        case .prepostTimeout: 1 << 3
        case .connectionPoolTimeout: 1 << 4
        case .connectionPingInterval: 1 << 5
        case .retries: 1 << 6
        case .recoveryOptions: 1 << 7
        case .busyLimit: 1 << 8
        }
    }

    /// Applies the change; returns the old and new value as the status output shows them, or
    /// nil when nothing changed.
    public func apply(to settings: inout AJPSharedSettings) -> (old: String, new: String)? {
        let before = AJPChange.values(settings)[field] ?? ""
        switch self {
        case .replyTimeout(let v): settings.replyTimeout = v
        case .pingTimeout(let v): settings.pingTimeout = v
        case .connectTimeout(let v): settings.connectTimeout = v
        case .prepostTimeout(let v): settings.prepostTimeout = v
        case .connectionPoolTimeout(let v): settings.connectionPoolTimeout = v * 1000
        case .connectionPingInterval(let v): settings.connectionPingInterval = v * 1000
        case .retries(let v): settings.retries = v
        case .recoveryOptions(let v): settings.recoveryOptions = v
        case .busyLimit(let v): settings.busyLimit = v
        }
        let after = AJPChange.values(settings)[field] ?? ""
        guard before != after else { return nil }
        settings.changed |= bit
        return (before, after)
    }

    /// The settings as the status output names and shows them.
    public static func values(_ s: AJPSharedSettings) -> [String: String] {
        [
            "reply_timeout": String(s.replyTimeout), "ping_timeout": String(s.pingTimeout), "connect_timeout": String(s.connectTimeout),
            "prepost_timeout": String(s.prepostTimeout), "connection_pool_timeout": String(s.connectionPoolTimeout / 1000),
            "connection_ping_interval": String(s.connectionPingInterval / 1000), "retries": String(s.retries),
            "recovery_options": String(s.recoveryOptions), "busy_limit": String(s.busyLimit),
        ]
    }

    /// Parses a field's value as `values` shows it (carrying changes over a restart).
    public static func parse(field: String, value: String) -> AJPChange? {
        // The carried-over file is read back at start-up: a value out of range is dropped, never
        // multiplied into an overflow.
        guard let number = Int64(value), number >= 0, number <= 86_400_000 else { return nil }
        switch field {
        case "reply_timeout": return .replyTimeout(number)
        case "ping_timeout": return .pingTimeout(number)
        case "connect_timeout": return .connectTimeout(number)
        case "prepost_timeout": return .prepostTimeout(number)
        case "connection_pool_timeout": return .connectionPoolTimeout(seconds: number)
        case "connection_ping_interval": return .connectionPingInterval(seconds: number)
        case "retries": return .retries(Int32(clamping: number))
        case "recovery_options": return .recoveryOptions(Int32(clamping: number))
        case "busy_limit": return .busyLimit(Int32(clamping: number))
        default: return nil
        }
    }

    public static let fields: [(UInt16, String)] = [
        AJPChange.replyTimeout(0), .pingTimeout(0), .connectTimeout(0), .prepostTimeout(0), .connectionPoolTimeout(seconds: 0),
        .connectionPingInterval(seconds: 0), .retries(0), .recoveryOptions(0), .busyLimit(0),
    ].map { ($0.bit, $0.field) }
}

extension StatusUpdate {
    /// `va*` values for an ajp13 worker or lb member. Host, port, max packet size and retry
    /// interval are not changed at runtime (a new address needs new pools; packet buffers are
    /// sized once; SwiftJK does not sleep between attempts): they are refused with that reason,
    /// unless the value is the one in effect (`fixed`: parameter → value), which changes nothing
    /// and is accepted, since mod_jk's own edit form sends every field.
    public static func ajpChanges(
        _ values: [(name: String, value: String)], fixed: [String: String] = [:]
    ) -> Result<[AJPChange], StatusError> {
        var changes: [AJPChange] = []
        for (name, value) in values {
            func number(_ range: ClosedRange<Int64>, _ rule: String) -> Int64? {
                guard let v = Int64(value), range.contains(v) else { return nil }
                return v
            }
            if let current = fixed[name], StatusUpdate.sameValue(value, current) { continue }
            let change: AJPChange?
            let rule: String
            switch name {
            case "vart": rule = "reply_timeout in ms, 0 (none) or more"; change = number(0...86_400_000, rule).map { .replyTimeout($0) }
            case "vapng": rule = "ping_timeout in ms, 0 or more"; change = number(0...3_600_000, rule).map { .pingTimeout($0) }
            case "vact": rule = "connect_timeout in ms, 0 (no CPING after connect) or more"; change = number(0...3_600_000, rule).map { .connectTimeout($0) }
            case "vapt": rule = "prepost_timeout in ms, 0 (no CPING before requests) or more"; change = number(0...3_600_000, rule).map { .prepostTimeout($0) }
            case "vacpt": rule = "connection_pool_timeout in s, 0 (never) or more"; change = number(0...86_400, rule).map { .connectionPoolTimeout(seconds: $0) }
            case "vacpi": rule = "connection_ping_interval in s, 0 (no CPING on idle connections) or more"; change = number(0...86_400, rule).map { .connectionPingInterval(seconds: $0) }
            case "var": rule = "retries, 1 to 1000"; change = number(1...1000, rule).map { .retries(Int32($0)) }
            case "varo": rule = "recovery_options, 0 to 31"; change = number(0...31, rule).map { .recoveryOptions(Int32($0)) }
            case "vabl": rule = "busy_limit, 0 (none) or more"; change = number(0...1_000_000, rule).map { .busyLimit(Int32($0)) }
            case "vahst", "vaprt":
                return .failure(StatusError(400, "\(name) (\(name == "vahst" ? "host" : "port")) is not changed at runtime by SwiftJK: a new address needs new connection pools in every child; set it in workers.properties and restart gracefully"))
            case "vamps":
                return .failure(StatusError(400, "vamps (max_packet_size) is not changed at runtime by SwiftJK: packet buffers are sized at startup; set it in workers.properties and on Tomcat's connector, and restart"))
            case "vari":
                return .failure(StatusError(400, "vari (retry_interval) is not changed at runtime by SwiftJK: it does not sleep between attempts on a worker; set it in workers.properties"))
            default:
                return .failure(StatusError(400, "\(name) does not apply to an ajp13 worker"))
            }
            guard let change else { return .failure(invalid(name, value, rule)) }
            changes.append(change)
        }
        return .success(changes)
    }
}
