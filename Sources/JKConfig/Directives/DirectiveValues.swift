/// `JkLogLevel` values (jk_logger.h order).
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace = 0, debug, info, warn, error, emerg

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The word mod_jk prints between brackets.
    public var name: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .warn: "warn"
        case .error: "error"
        case .emerg: "emerg"
        }
    }

    /// Case-insensitive, as mod_jk. An unknown word is nil (mod_jk silently uses info).
    public init?(parsing text: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == text.lowercased() }) else { return nil }
        self = level
    }
}

/// `JkMountCopy`.
public enum MountCopy: String, Sendable {
    case off = "Off"
    case on = "On"
    /// Only in the main server: On for every virtual host.
    case all = "All"
}

/// `JkOptions` flags (`jk_global.h`).
public struct JkOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let forwardURICompat = JkOptions(rawValue: 1 << 0)
    public static let forwardURICompatUnparsed = JkOptions(rawValue: 1 << 1)
    public static let forwardURIEscaped = JkOptions(rawValue: 1 << 2)
    public static let forwardURIProxy = JkOptions(rawValue: 1 << 3)
    public static let forwardDirectories = JkOptions(rawValue: 1 << 4)
    public static let forwardLocalAddress = JkOptions(rawValue: 1 << 5)
    public static let forwardPhysicalAddress = JkOptions(rawValue: 1 << 6)
    public static let flushPackets = JkOptions(rawValue: 1 << 7)
    public static let flushHeader = JkOptions(rawValue: 1 << 8)
    public static let disableReuse = JkOptions(rawValue: 1 << 9)
    public static let forwardKeySize = JkOptions(rawValue: 1 << 10)
    public static let forwardSSLCertChain = JkOptions(rawValue: 1 << 11)
    public static let rejectUnsafeURI = JkOptions(rawValue: 1 << 12)

    public static let forwardURIMask: JkOptions = [.forwardURICompat, .forwardURICompatUnparsed, .forwardURIEscaped, .forwardURIProxy]
    /// `JK_OPT_DEFAULT`.
    public static let defaults: JkOptions = [.forwardURIProxy, .forwardKeySize]

    /// Every option name with its flag; nil flags are accepted and ignored (deprecated).
    public static let names: [(String, JkOptions?)] = [
        ("ForwardURICompat", .forwardURICompat),
        ("ForwardURICompatUnparsed", .forwardURICompatUnparsed),
        ("ForwardURIEscaped", .forwardURIEscaped),
        ("ForwardURIProxy", .forwardURIProxy),
        ("ForwardDirectories", .forwardDirectories),
        ("ForwardLocalAddress", .forwardLocalAddress),
        ("ForwardPhysicalAddress", .forwardPhysicalAddress),
        ("FlushPackets", .flushPackets),
        ("FlushHeader", .flushHeader),
        ("DisableReuse", .disableReuse),
        ("ForwardKeySize", .forwardKeySize),
        ("ForwardSSLCertChain", .forwardSSLCertChain),
        ("RejectUnsafeURI", .rejectUnsafeURI),
        ("CollapseSlashesAll", nil),
        ("CollapseSlashesNone", nil),
        ("CollapseSlashesUnmount", nil),
    ]

    public var names: [String] {
        Self.names.compactMap { name, flag in flag.map { contains($0) ? name : nil } ?? nil }
    }
}

/// `JkOptions` as written in one server: what it adds and what it removes.
public struct JkOptionsDelta: Sendable, Equatable {
    public var plus: JkOptions = []
    public var minus: JkOptions = []
    public init() {}

    /// mod_jk's inheritance: `plus(global) − minus(global) + plus(vhost) − minus(vhost)`, on top of
    /// the defaults. A ForwardURI* option replaces any other ForwardURI* option.
    public static func effective(global: JkOptionsDelta, server: JkOptionsDelta?) -> JkOptions {
        var options = JkOptions.defaults
        for delta in [global] + (server.map { [$0] } ?? []) {
            if !delta.plus.intersection(.forwardURIMask).isEmpty { options.subtract(.forwardURIMask) }
            options.formUnion(delta.plus)
            options.subtract(delta.minus)
        }
        return options
    }
}

/// The env-var names that carry request facts (the `Jk*Indicator` directives), with mod_jk's
/// defaults.
public struct Indicators: Sendable, Equatable {
    public var worker = "JK_WORKER_NAME"
    public var https = "HTTPS"
    public var sslProtocol = "SSL_PROTOCOL"
    public var certs = "SSL_CLIENT_CERT"
    public var cipher = "SSL_CIPHER"
    public var session = "SSL_SESSION_ID"
    public var keySize = "SSL_CIPHER_USEKEYSIZE"
    public var certChainPrefix = "SSL_CLIENT_CERT_CHAIN_"
    public var remoteAddr = "JK_REMOTE_ADDR"
    public var remotePort = "JK_REMOTE_PORT"
    public var remoteHost = "JK_REMOTE_HOST"
    public var remoteUser = "JK_REMOTE_USER"
    public var authType = "JK_AUTH_TYPE"
    public var localName = "JK_LOCAL_NAME"
    public var localAddr = "JK_LOCAL_ADDR"
    public var localPort = "JK_LOCAL_PORT"
    public var ignoreCL = "JK_IGNORE_CL"
    public var requestID = "UNIQUE_ID"

    public init() {}

    /// The `Jk*Indicator` directives (and `JkCERTCHAINPrefix`) and the field each sets: the one
    /// list of them (`DirectiveTable` and the parser read it).
    public static let directives: [(name: String, field: WritableKeyPath<Indicators, String> & Sendable)] = [
        ("JkWorkerIndicator", \.worker), ("JkHTTPSIndicator", \.https), ("JkSSLPROTOCOLIndicator", \.sslProtocol),
        ("JkCERTSIndicator", \.certs), ("JkCIPHERIndicator", \.cipher), ("JkSESSIONIndicator", \.session),
        ("JkKEYSIZEIndicator", \.keySize), ("JkCERTCHAINPrefix", \.certChainPrefix), ("JkRemoteAddrIndicator", \.remoteAddr),
        ("JkRemotePortIndicator", \.remotePort), ("JkRemoteHostIndicator", \.remoteHost), ("JkRemoteUserIndicator", \.remoteUser),
        ("JkAuthTypeIndicator", \.authType), ("JkLocalNameIndicator", \.localName), ("JkLocalAddrIndicator", \.localAddr),
        ("JkLocalPortIndicator", \.localPort), ("JkIgnoreCLIndicator", \.ignoreCL), ("JkRequestIdIndicator", \.requestID),
    ]

    public static let directiveNames = Set(directives.map(\.name))

    /// Applies one `Jk*Indicator` (or `JkCERTCHAINPrefix`) directive.
    public mutating func set(_ directive: String, _ value: String) {
        guard let row = Self.directives.first(where: { $0.name == directive }) else { return }
        self[keyPath: row.field] = value
    }
}

/// `JkEnvVar name [default]`.
public struct EnvVarForward: Sendable, Equatable {
    public var name: String
    /// nil: sent only when set at request time.
    public var defaultValue: String?
    /// Where it was written (for the allowedRequestAttributesPattern warning).
    public var location: SourceLocation?
    public init(name: String, defaultValue: String?, location: SourceLocation? = nil) {
        self.name = name
        self.defaultValue = defaultValue
        self.location = location
    }
}
