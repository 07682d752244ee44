/// Everything AJP13 needs from one HTTP request, with no web-server types.
///
/// The composition root fills it from httpd's request; tests and fuzzers build it directly.
public struct ForwardRequest: Equatable, Sendable {
    public var method: String
    public var protocolVersion: String
    /// The request URI as forwarded (path, with path parameters; no query string).
    public var uri: String
    public var remoteAddress: String
    /// nil is sent as the absent string, as mod_jk does when httpd did no reverse lookup.
    public var remoteHost: String?
    public var serverName: String
    public var serverPort: UInt16
    public var isSSL: Bool
    /// In the order they are sent. Names are matched to header codes case-insensitively.
    public var headers: [Header]
    public var attributes: Attributes

    public struct Header: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The attributes, encoded in mod_jk's order (docs/modjk-behaviour.md §5.2).
    public struct Attributes: Equatable, Sendable {
        public var secret: String?
        public var remoteUser: String?
        public var authType: String?
        public var queryString: String?
        public var route: String?
        public var sslCert: String?
        public var sslCipher: String?
        public var sslSession: String?
        public var sslKeySize: Int?
        /// Named request attributes (`AJP_SSL_PROTOCOL`, `AJP_REMOTE_PORT`, `AJP_LOCAL_ADDR`,
        /// `JK_LB_ACTIVATION`, then `JkEnvVar`s), in order.
        public var requestAttributes: [Header]

        public init(
            secret: String? = nil, remoteUser: String? = nil, authType: String? = nil,
            queryString: String? = nil, route: String? = nil, sslCert: String? = nil,
            sslCipher: String? = nil, sslSession: String? = nil, sslKeySize: Int? = nil,
            requestAttributes: [Header] = []
        ) {
            self.secret = secret
            self.remoteUser = remoteUser
            self.authType = authType
            self.queryString = queryString
            self.route = route
            self.sslCert = sslCert
            self.sslCipher = sslCipher
            self.sslSession = sslSession
            self.sslKeySize = sslKeySize
            self.requestAttributes = requestAttributes
        }
    }

    public init(
        method: String, protocolVersion: String = "HTTP/1.1", uri: String, remoteAddress: String,
        remoteHost: String? = nil, serverName: String, serverPort: UInt16, isSSL: Bool = false,
        headers: [Header] = [], attributes: Attributes = Attributes()
    ) {
        self.method = method
        self.protocolVersion = protocolVersion
        self.uri = uri
        self.remoteAddress = remoteAddress
        self.remoteHost = remoteHost
        self.serverName = serverName
        self.serverPort = serverPort
        self.isSSL = isSSL
        self.headers = headers
        self.attributes = attributes
    }
}
