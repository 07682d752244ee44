import JKCore

/// What one server's own `Jk*` directives say, before inheritance. nil = not set here.
public struct ServerDirectives: Sendable, Equatable {
    public var mounts: [MountRule] = []
    public var mountFile: String?
    public var mountFileLocation: SourceLocation?
    public var mountFileReload: Int?
    public var mountCopy: MountCopy?
    public var autoAlias: String?
    public var logFile: String?
    public var logFileLocation: SourceLocation?
    public var logLevel: LogLevel?
    public var logStampFormat: String?
    public var requestLogFormat: String?
    public var options = JkOptionsDelta()
    public var optionsSet = false
    public var envVars: [EnvVarForward] = []
    public var stripSession: StripSession?
    public var extractSSL: Bool?
    /// Indicator directives set in this server, by directive name.
    public var indicators: [String: String] = [:]

    public struct StripSession: Sendable, Equatable {
        public var enabled: Bool
        /// The path parameter to strip, default `;jsessionid`.
        public var name: String
    }

    public init() {}
}

/// Directives that only the main server may hold.
public struct GlobalDirectives: Sendable, Equatable {
    public var workersFile: String?
    public var workersFileLocation: SourceLocation?
    /// `JkWorkerProperty` lines, as properties.
    public var workerProperties: [PropertyLine] = []
    public var shmFile: String?
    public var shmFileLocation: SourceLocation?
    public var shmSize: Int?
    /// `JkWatchdogInterval` in seconds; nil = SwiftJK's default.
    public var watchdogInterval: Int?

    public init() {}
}
