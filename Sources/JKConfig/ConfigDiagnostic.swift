/// Where a configuration value was written.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// An error or warning about the configuration, with file:line. Pure code returns these; the
/// shell prints them (to the console for `apache2 -t`, the error log and the jk log).
public struct ConfigDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable {
        case info, warning, error

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
        var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .error: 2
            }
        }
    }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String

    public init(_ severity: Severity, _ message: String, at location: SourceLocation?) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    public static func error(_ message: String, at location: SourceLocation?) -> ConfigDiagnostic {
        ConfigDiagnostic(.error, message, at: location)
    }

    public static func warning(_ message: String, at location: SourceLocation?) -> ConfigDiagnostic {
        ConfigDiagnostic(.warning, message, at: location)
    }

    public static func info(_ message: String, at location: SourceLocation?) -> ConfigDiagnostic {
        ConfigDiagnostic(.info, message, at: location)
    }

    /// "file:line: error: message".
    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return "\(prefix)\(severity.rawValue): \(message)"
    }
}

extension Array where Element == ConfigDiagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
    public var errors: [ConfigDiagnostic] { filter { $0.severity == .error } }
    public var warnings: [ConfigDiagnostic] { filter { $0.severity == .warning } }
}
