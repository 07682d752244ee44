/// What one status-worker answer says, independent of its format (mod_jk's `jk_status.c`
/// writes each format by hand; SwiftJK builds this value once and renders it).
///
/// Records are ordered `(key, value)` lists with mod_jk's key names and order, so the txt,
/// prop and xml forms carry exactly mod_jk's keys (see docs/status-worker.md).
public struct StatusDocument: Sendable, Equatable {
    /// Server, time and software lines (all answers but errors).
    public var header: Header?
    public var balancers: [Balancer]?
    public var ajpWorkers: [AJPWorker]?
    /// `cmd=dump`: the configuration as read at startup.
    public var configuration: [String]?
    public var result: Result

    public init(header: Header? = nil, balancers: [Balancer]? = nil, ajpWorkers: [AJPWorker]? = nil, configuration: [String]? = nil, result: Result) {
        self.header = header
        self.balancers = balancers
        self.ajpWorkers = ajpWorkers
        self.configuration = configuration
        self.result = result
    }

    public struct Header: Sendable, Equatable {
        public var serverName: String
        public var serverPort: Int
        /// `YYYYMMDDhhmmss`, `+0000`, seconds since the epoch.
        public var datetime: String
        public var timezone: String
        public var unixTime: Int
        public var webServer: String
        public var jkVersion: String
        /// `cmd=edit` in txt/prop/xml: only the server line.
        public var serverOnly = false

        public init(serverName: String, serverPort: Int, datetime: String, timezone: String, unixTime: Int, webServer: String, jkVersion: String) {
            self.serverName = serverName
            self.serverPort = serverPort
            self.datetime = datetime
            self.timezone = timezone
            self.unixTime = unixTime
            self.webServer = webServer
            self.jkVersion = jkVersion
        }
    }

    public struct Balancer: Sendable, Equatable {
        public var name: String
        public var fields: Record
        public var members: [Record]
        public var maps: [Record]
        /// SwiftJK's own per-member values (json, html, prometheus only), indexed like members.
        public var memberExtras: [Record]
        public var extras: Record

        public init(name: String, fields: Record, members: [Record], maps: [Record], memberExtras: [Record] = [], extras: Record = Record()) {
            self.name = name
            self.fields = fields
            self.members = members
            self.maps = maps
            self.memberExtras = memberExtras
            self.extras = extras
        }
    }

    public struct AJPWorker: Sendable, Equatable {
        public var name: String
        public var fields: Record
        public var maps: [Record]

        public init(name: String, fields: Record, maps: [Record]) {
            self.name = name
            self.fields = fields
            self.maps = maps
        }
    }

    public struct Result: Sendable, Equatable {
        public var ok: Bool
        public var message: String

        public init(ok: Bool, message: String) {
            self.ok = ok
            self.message = message
        }

        public static let finished = Result(ok: true, message: "Action finished")
    }
}

/// An ordered list of fields; `quoted` marks the values mod_jk's txt form puts in quotes.
public struct Record: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var key: String
        public var value: String
        public var quoted: Bool
        /// A number (unquoted in json, a sample value in prometheus).
        public var numeric: Bool
    }

    public var fields: [Field] = []

    public init() {}

    public mutating func add(_ key: String, _ value: String, quoted: Bool = false) {
        fields.append(Field(key: key, value: value, quoted: quoted, numeric: false))
    }

    public mutating func add(_ key: String, _ value: some BinaryInteger) {
        fields.append(Field(key: key, value: String(value), quoted: false, numeric: true))
    }

    public mutating func add(_ key: String, _ value: Bool) {
        fields.append(Field(key: key, value: value ? "True" : "False", quoted: false, numeric: false))
    }

    public subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    public mutating func set(_ key: String, _ value: String) {
        if let index = fields.firstIndex(where: { $0.key == key }) { fields[index].value = value }
    }
}
