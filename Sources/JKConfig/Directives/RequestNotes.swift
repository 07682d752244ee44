/// Which of mod_jk's request notes SwiftJK sets, decided once from httpd's whole configuration.
///
/// mod_jk fills up to 24 `r->notes` on every request for `%{NAME}n` in a `LogFormat`: the
/// worker's type and route, the duration, and ten `JK_LB_FIRST_*` plus ten `JK_LB_LAST_*`
/// values of the lb members tried. Formatting and adding them was a quarter of SwiftJK's own
/// instructions per request (docs/architecture.md §5.1), for notes that nothing reads in most
/// configurations. So a group is set only when some directive anywhere in httpd's configuration
/// (a `LogFormat`, `CustomLog`, `ErrorLogFormat`, any other) names one of its notes; the check is
/// a case-insensitive text search, as httpd's notes table is case-insensitive.
/// `JK_WORKER_NAME` is not in a group: it is always set, as mod_jk's handler reads it back.
public struct RequestNotes: OptionSet, Sendable, Equatable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `JK_LB_FIRST_*` and `JK_LB_LAST_*` (NAME, VALUE, ACCESSED, SESSIONS, READ, TRANSFERRED,
    /// ERRORS, BUSY, ACTIVATION, STATE).
    public static let lb = RequestNotes(rawValue: 1)
    /// `JK_WORKER_TYPE`, `JK_WORKER_ROUTE` and `JK_REQUEST_DURATION`.
    public static let worker = RequestNotes(rawValue: 2)
    public static let all: RequestNotes = [.lb, .worker]

    /// The text that turns a group on, as written in a configuration (any case).
    static let markers: [(group: RequestNotes, text: String)] = [
        (.lb, "JK_LB_"), (.worker, "JK_WORKER_TYPE"), (.worker, "JK_WORKER_ROUTE"), (.worker, "JK_REQUEST_DURATION"),
    ]

    /// One directive of httpd's configuration tree, for `RequestNotes.read(by:)`.
    public struct ConfigurationLine: Sendable, Equatable {
        public var directive: String
        public var arguments: String
        public var location: SourceLocation?

        public init(directive: String, arguments: String, location: SourceLocation? = nil) {
            self.directive = directive
            self.arguments = arguments
            self.location = location
        }
    }

    /// The groups some line names, with the first line naming each (for the startup report).
    public static func read(by lines: [ConfigurationLine]) -> (notes: RequestNotes, firstMention: [(RequestNotes, ConfigurationLine)]) {
        var notes: RequestNotes = []
        var mentions: [(RequestNotes, ConfigurationLine)] = []
        for line in lines where notes != .all {
            for marker in markers where !notes.contains(marker.group) {
                if containsIgnoringASCIICase(line.arguments, marker.text) {
                    notes.insert(marker.group)
                    mentions.append((marker.group, line))
                }
            }
        }
        return (notes, mentions)
    }

    /// `needle` (upper-case ASCII) in `text`, ASCII letters compared without case.
    static func containsIgnoringASCIICase(_ text: String, _ needle: String) -> Bool {
        let hay = Array(text.utf8)
        let pin = Array(needle.utf8)
        guard !pin.isEmpty, hay.count >= pin.count else { return pin.isEmpty }
        func upper(_ byte: UInt8) -> UInt8 { byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }
        for start in 0...(hay.count - pin.count) {
            var index = 0
            while index < pin.count, upper(hay[start + index]) == pin[index] { index += 1 }
            if index == pin.count { return true }
        }
        return false
    }
}
