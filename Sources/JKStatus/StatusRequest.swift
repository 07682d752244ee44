/// The status worker's commands (`cmd=`), as mod_jk names them.
public enum StatusCommand: String, Sendable, CaseIterable {
    case list, show, edit, update, reset, recover, version, dump

    /// Commands that change state: refused by `read_only`, and by GET unless `allow_get_updates`.
    public var changesState: Bool { self == .update || self == .reset || self == .recover }
}

/// The answer formats (`mime=`): mod_jk's four, and SwiftJK's json and Prometheus text.
public enum StatusFormat: String, Sendable, CaseIterable {
    case html, xml, txt, prop, json, prometheus

    public var contentType: String {
        switch self {
        // mod_jk's types, without a charset (the page declares UTF-8 itself).
        case .html: "text/html"
        case .xml: "text/xml"
        case .txt, .prop: "text/plain"
        case .json: "application/json"
        case .prometheus: "text/plain; version=0.0.4; charset=utf-8"
        }
    }
}

/// A status error: mod_jk's message (the `Result: type=ERROR` text) and SwiftJK's HTTP status
/// (mod_jk answers 200 to everything; a script that checks the status code sees nothing).
public struct StatusError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    // mod_jk's texts (jk_status.c), so scripts that match them keep working.
    public static let invalidCommand = StatusError(400, "Invalid command.")
    public static let invalidMime = StatusError(400, "Invalid mime type.")
    public static let badQuery = StatusError(400, "Error during parsing of URI")
    public static let accessDenied = StatusError(403, "Access denied.")
    public static let readOnly = StatusError(403, "This command is not allowed in read only mode.")
    public static let workerNotFound = StatusError(404, "Could not find given worker")
    public static let memberNotFound = StatusError(404, "could not find sub worker")
    public static let noWorker = StatusError(400, "NULL or EMPTY worker param")
    public static let emptyMember = StatusError(400, "EMPTY sub worker param")
    public static let wildcardNotAllowed = StatusError(400, "wildcard not allowed in sub worker for this command")
    public static let noSubWorkers = StatusError(400, "worker type has no sub workers")
}

/// One status request: the parameters of its query string (and, for a POST, its form body).
public struct StatusRequest: Sendable, Equatable {
    public var command: StatusCommand
    public var format: StatusFormat
    public var worker: String?
    public var member: String?
    /// `att=`: the attribute `edit` shows for every member.
    public var attribute: String?
    /// `opt=`: mod_jk's display bits (`StatusOptions`).
    public var options: StatusOptions
    /// `from=`: the command to show after a change (html).
    public var from: StatusCommand?
    /// `re=`: auto-refresh seconds (html), 0 = off.
    public var refresh: Int
    /// The update values (`vwa`, `vlr`, …) in the order given.
    public var values: [(name: String, value: String)]
    /// `nonce=`: the form's one-time token (SwiftJK's page).
    public var nonce: String?

    public static func == (lhs: StatusRequest, rhs: StatusRequest) -> Bool {
        lhs.command == rhs.command && lhs.format == rhs.format && lhs.worker == rhs.worker && lhs.member == rhs.member
            && lhs.attribute == rhs.attribute && lhs.options == rhs.options && lhs.from == rhs.from && lhs.refresh == rhs.refresh
            && lhs.values.map(\.name) == rhs.values.map(\.name) && lhs.values.map(\.value) == rhs.values.map(\.value)
            && lhs.nonce == rhs.nonce
    }

    /// The parameters SwiftJK reads besides the update values (`psw` is mod_jk's link memory).
    public static let controlNames: Set<String> = ["cmd", "mime", "w", "sw", "psw", "att", "opt", "from", "re", "nonce"]

    /// The command a request names (last `cmd=` wins), checked before anything else (read-only).
    public static func commandName(_ pairs: [(name: String, value: String)]) -> String? { pairs.last { $0.name == "cmd" }?.value }

    /// Parses form pairs (mod_jk's names; the last of a repeated name wins). Unknown commands,
    /// formats and parameter names are errors, so a script's typo is not a silent 200.
    public static func parse(_ pairs: [(name: String, value: String)]) -> Result<StatusRequest, StatusError> {
        var request = StatusRequest(
            command: .list, format: .html, worker: nil, member: nil, attribute: nil, options: StatusOptions(rawValue: 0), from: nil,
            refresh: 0, values: [], nonce: nil)
        var memberGiven = false
        var format: String?
        var command: String?
        for (name, value) in pairs {
            switch name {
            case "cmd": command = value
            case "mime": format = value
            case "w": request.worker = value.isEmpty ? nil : value
            case "sw":
                memberGiven = true
                request.member = value.isEmpty ? nil : value
            case "psw": continue
            case "att": request.attribute = value.isEmpty ? nil : value
            case "opt":
                guard let bits = Int(value), bits >= 0 else {
                    return .failure(StatusError(400, "Invalid opt '\(value)': a decimal number (bits of mod_jk's display options)"))
                }
                request.options = StatusOptions(rawValue: bits)
            case "from": request.from = StatusCommand(rawValue: value)
            case "re":
                guard let seconds = Int(value), seconds >= 0 else {
                    return .failure(StatusError(400, "Invalid re '\(value)': refresh seconds, 0 or more"))
                }
                request.refresh = seconds
            case "nonce": request.nonce = value
            default:
                guard StatusUpdate.isKnownParameter(name) else {
                    return .failure(StatusError(400, "Unknown parameter '\(name)'"))
                }
                request.values.removeAll { $0.name == name }
                request.values.append((name, value))
            }
        }
        if let command {
            guard let known = StatusCommand(rawValue: command) else { return .failure(.invalidCommand) }
            request.command = known
        }
        if let format {
            guard let known = StatusFormat(rawValue: format) else { return .failure(.invalidMime) }
            request.format = known
        }
        if memberGiven && request.member == nil { return .failure(.emptyMember) }
        if let member = request.member, member.contains("*") || member.contains("?") || member.contains("@"), request.command != .update {
            return .failure(.wildcardNotAllowed)
        }
        return .success(request)
    }

}

/// mod_jk's `opt=` bits (`JK_STATUS_ARG_OPTION_*`).
public struct StatusOptions: OptionSet, Sendable, Equatable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let noMembers = StatusOptions(rawValue: 0x0001)
    public static let noMaps = StatusOptions(rawValue: 0x0002)
    public static let noLegend = StatusOptions(rawValue: 0x0004)
    public static let noLB = StatusOptions(rawValue: 0x0008)
    public static let noAJP = StatusOptions(rawValue: 0x0010)
    public static let readOnly = StatusOptions(rawValue: 0x0020)
    public static let noLBConfig = StatusOptions(rawValue: 0x0040)
    public static let noLBSummary = StatusOptions(rawValue: 0x0080)
    public static let noAJPConfig = StatusOptions(rawValue: 0x0100)
}
