import JKBalancer

/// A change to one lb member (`cmd=update&w=LB&sw=MEMBER`).
public enum MemberChange: Sendable, Equatable {
    case activation(Activation)
    case lbFactor(Int)
    case route(String)
    case redirect(String)
    case domain(String)
    case distance(Int)

    /// The field name in the status output and the jk log.
    public var field: String {
        switch self {
        case .activation: "activation"
        case .lbFactor: "lbfactor"
        case .route: "route"
        case .redirect: "redirect"
        case .domain: "domain"
        case .distance: "distance"
        }
    }
}

/// A change to an lb's own settings (`cmd=update&w=LB`).
public enum LBChange: Sendable, Equatable {
    case retries(Int)
    case recoverTime(seconds: Int)
    case errorEscalationTime(seconds: Int)
    case maxReplyTimeouts(Int)
    case stickySession(Bool)
    case stickySessionForce(Bool)
    case method(LoadBalancingMethodKind)
    case pessimisticLock(Bool)

    public var field: String {
        switch self {
        case .retries: "retries"
        case .recoverTime: "recover_time"
        case .errorEscalationTime: "error_escalation_time"
        case .maxReplyTimeouts: "max_reply_timeouts"
        case .stickySession: "sticky_session"
        case .stickySessionForce: "sticky_session_force"
        case .method: "method"
        case .pessimisticLock: "lock"
        }
    }
}

/// The update parameters mod_jk's status worker takes (`JK_STATUS_ARG_*`), validated.
public enum StatusUpdate {
    /// lb settings: retries, recover_time, error_escalation_time, max_reply_timeouts, sticky,
    /// force, method, lock.
    public static let lbParameters = ["vlr", "vlri", "vlt", "vlee", "vlx", "vls", "vlf", "vlm", "vll"]
    /// Member settings: activation, lbfactor, route, redirect, domain, distance.
    public static let memberParameters = ["vwa", "vwf", "vwn", "vwr", "vwc", "vwd"]
    /// ajp13 settings mod_jk can change at runtime (`ajpChanges`; host, port, packet size and
    /// retry interval are refused with the reason).
    public static let ajpParameters = [
        "vahst", "vaprt", "vacpt", "vapng", "vact", "vapt", "vart", "var", "vari", "vacpi", "varo", "vabl", "vamps",
    ]

    public static func isKnownParameter(_ name: String) -> Bool {
        lbParameters.contains(name) || memberParameters.contains(name) || ajpParameters.contains(name) || isAttributeValue(name)
    }

    /// `val0`, `val1`, …: one value per member when `edit&att=` edits one attribute of all.
    static func isAttributeValue(_ name: String) -> Bool {
        name.hasPrefix("val") && name.count > 3 && name.dropFirst(3).allSatisfy(\.isNumber)
    }

    /// A submitted value equal to the one in effect (host names ignore case, numbers leading
    /// zeros).
    static func sameValue(_ submitted: String, _ current: String) -> Bool {
        if let a = Int(submitted), let b = Int(current) { return a == b }
        return submitted.lowercased() == current.lowercased()
    }

    /// `fixed`: values of settings not changed at runtime, accepted when sent unchanged (as in
    /// `ajpChanges`).
    public static func lbChanges(
        _ values: [(name: String, value: String)], fixed: [String: String] = [:]
    ) -> Result<[LBChange], StatusError> {
        var changes: [LBChange] = []
        for (name, value) in values {
            if let current = fixed[name], sameValue(value, current) { continue }
            switch name {
            case "vlri":
                return .failure(StatusError(400, "vlri (retry_interval) is not changed at runtime by SwiftJK: it does not sleep between members; set it in workers.properties"))
            case "vlr":
                guard let v = Int(value), v >= 1, v <= 1000 else { return .failure(invalid(name, value, "retries: 1 to 1000")) }
                changes.append(.retries(v))
            case "vlt":
                guard let v = Int(value), v >= 1, v <= 86_400 else { return .failure(invalid(name, value, "recover_time in seconds: 1 to 86400")) }
                changes.append(.recoverTime(seconds: v))
            case "vlee":
                guard let v = Int(value), v >= 0, v <= 86_400 else { return .failure(invalid(name, value, "error_escalation_time in seconds: 0 to 86400")) }
                changes.append(.errorEscalationTime(seconds: v))
            case "vlx":
                guard let v = Int(value), v >= 0, v <= 1_000_000 else { return .failure(invalid(name, value, "max_reply_timeouts: 0 or more")) }
                changes.append(.maxReplyTimeouts(v))
            case "vls":
                guard let v = boolean(value) else { return .failure(invalid(name, value, "sticky_session: true or false")) }
                changes.append(.stickySession(v))
            case "vlf":
                guard let v = boolean(value) else { return .failure(invalid(name, value, "sticky_session_force: true or false")) }
                changes.append(.stickySessionForce(v))
            case "vlm":
                guard let v = LoadBalancingMethodKind(parsing: value) else { return .failure(invalid(name, value, "method: Request, Traffic, Busyness, Session or Next")) }
                changes.append(.method(v))
            case "vll":
                switch value.first {
                case "o", "O", "0": changes.append(.pessimisticLock(false))
                case "p", "P", "1": changes.append(.pessimisticLock(true))
                default: return .failure(invalid(name, value, "lock: Optimistic or Pessimistic"))
                }
            default:
                return .failure(notForTarget(name, "an lb worker"))
            }
        }
        return .success(changes)
    }

    public static func memberChanges(_ values: [(name: String, value: String)], member: String) -> Result<[MemberChange], StatusError> {
        var changes: [MemberChange] = []
        for (name, value) in values {
            if let field = ["vwn": "route", "vwr": "redirect", "vwc": "domain"][name], value.utf8.count > maxTextLength {
                return .failure(StatusError(400, "Update failed (at least partially): new \(field) '\(value)' too long for sub worker '\(member)', see log file for details."))
            }
            guard let change = memberChange(name, value) else {
                return .failure(memberParameters.contains(name) ? invalid(name, value, memberRule(name)) : notForTarget(name, "an lb member"))
            }
            changes.append(change)
        }
        return .success(changes)
    }

    /// One member value (also used for `val<N>` with `att=`).
    public static func memberChange(_ name: String, _ value: String) -> MemberChange? {
        switch name {
        case "vwa": Activation(parsing: value).map { .activation($0) }
        case "vwf": Int(value).flatMap { $0 >= 1 && $0 <= 100_000 ? .lbFactor($0) : nil }
        case "vwn": text(value).map { .route($0) }
        case "vwr": text(value).map { .redirect($0) }
        case "vwc": text(value).map { .domain($0) }
        case "vwd": Int(value).flatMap { $0 >= 0 && $0 <= 1_000_000 ? .distance($0) : nil }
        default: nil
        }
    }

    static func memberRule(_ name: String) -> String {
        switch name {
        case "vwa": "activation: A (active), D (disabled) or S (stopped)"
        case "vwf": "lbfactor: 1 to 100000"
        case "vwn", "vwr", "vwc": "too long or not text: at most \(maxTextLength) bytes, no control characters"
        case "vwd": "distance: 0 or more"
        default: "see docs/status-worker.md"
        }
    }

    /// mod_jk's limit for a route, redirect or domain.
    public static let maxTextLength = 60

    /// A route, redirect or domain: at most 60 bytes (mod_jk), no control characters.
    static func text(_ value: String) -> String? {
        guard value.utf8.count <= maxTextLength, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return nil
        }
        return value
    }

    /// mod_jk's boolean words (`jk_get_bool_code`).
    static func boolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "true", "on", "yes", "t", "y": true
        case "0", "false", "off", "no", "f", "n": false
        default: nil
        }
    }

    static func invalid(_ name: String, _ value: String, _ rule: String) -> StatusError {
        StatusError(400, "Invalid value '\(value)' for \(name) (\(rule))")
    }

    static func notForTarget(_ name: String, _ target: String) -> StatusError {
        StatusError(400, "\(name) does not apply to \(target)")
    }
}
