import AJP13
import CSwiftJKABI
import JKBalancer
import JKConfig

/// What SwiftJK needs to know about one httpd request, read once from `sjk_request_view` and the
/// request's environment (indicator variables). A class: it is made once per request and handed
/// to every attempt by reference. Headers stay a view of httpd's table.
final class RequestFacts: @unchecked Sendable {
    var method: String
    var protocolVersion: String
    /// r->uri (decoded by httpd, path parameters kept).
    var uri: String
    /// r->unparsed_uri (as the client sent it, with the query string).
    var unparsedURI: String
    var queryString: String?
    var remoteAddress: String
    var remoteHost: String?
    var remotePort: Int
    var localAddress: String
    var localPort: Int
    var serverName: String
    var serverPort: Int
    var isSSL: Bool
    var remoteUser: String?
    var authType: String?
    var headers: HeaderList
    /// How many Content-Length headers the client sent.
    var contentLengthHeaders: Int
    /// -1 when the length is unknown (chunked).
    var contentLength: Int64
    var headerOnly: Bool
    var ssl: SSLFacts?
    var environmentAttributes: [ForwardRequest.Header]
    /// JK_ROUTE, JK_REPLY_TIMEOUT, JK_STICKY_IGNORE, JK_STATELESS.
    var jkRoute: String?
    var replyTimeout: Int?
    var stickyIgnore: Bool?
    var stateless: Bool?
    var requestID: String?
    /// `r->the_request` and the server's canonical name (for JkRequestLogFormat).
    var requestLine: String?
    var canonicalName: String?
    /// httpd's banner ("Apache/2.4.62 (Debian)"), valid during the request (status worker).
    var serverDescription: UnsafePointer<CChar>?

    struct SSLFacts: Sendable, Equatable {
        var cert: String?
        var cipher: String?
        var session: String?
        var keySize: Int?
        var sslProtocol: String?
    }

    /// The path for log lines, with any `;jsessionid=` value masked.
    var loggablePath: String { uri.utf8.count > 11 ? SessionIdentifiers.masking(uri) : uri }

    /// Path and query for log lines, with session ids masked.
    var loggableURI: String { SessionIdentifiers.masking(uri + (queryString.map { "?\($0)" } ?? "")) }

    /// Cookie header values (for the sticky route).
    var cookieHeaders: [Substring] { headers.values("cookie") }

    /// For tests: facts without httpd.
    init(
        method: String, uri: String, queryString: String? = nil, headers: [ForwardRequest.Header] = [],
        contentLength: Int64 = 0, remoteAddress: String = "127.0.0.1", remotePort: Int = 50000, localAddress: String = "127.0.0.1",
        serverName: String = "localhost", serverPort: Int = 80
    ) {
        self.method = method
        self.protocolVersion = "HTTP/1.1"
        self.uri = uri
        self.unparsedURI = uri + (queryString.map { "?\($0)" } ?? "")
        self.queryString = queryString
        self.remoteAddress = remoteAddress
        self.remoteHost = nil
        self.remotePort = remotePort
        self.localAddress = localAddress
        self.localPort = serverPort
        self.serverName = serverName
        self.serverPort = serverPort
        self.isSSL = false
        self.remoteUser = nil
        self.authType = nil
        self.headers = HeaderList(headers)
        self.contentLengthHeaders = headers.filter { $0.name.lowercased() == "content-length" }.count
        self.contentLength = contentLength
        self.headerOnly = method == "HEAD"
        self.ssl = nil
        self.environmentAttributes = []
    }

    /// Reads the C view. Strings are copied: the view lives only during the call; headers are
    /// not (they live in r->pool for the whole request).
    init(view: UnsafePointer<sjk_request_view>, server context: ServerContext) {
        let v = view.pointee
        func text(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        let getEnv = v.host?.pointee.get_env
        func env(_ name: UnsafePointer<CChar>) -> String? {
            guard let getEnv else { return nil }
            return getEnv(v.r, name).map { String(cString: $0) }
        }
        func env(_ name: StaticString) -> String? {
            env(UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self))
        }
        func env(_ name: String) -> String? {
            guard let getEnv else { return nil }
            return name.withCString { getEnv(v.r, $0) }.map { String(cString: $0) }
        }
        let options = context.options
        let keys = context.keys
        method = text(v.method) ?? "GET"
        protocolVersion = text(v.protocol) ?? "HTTP/1.1"
        uri = text(v.uri) ?? "/"
        unparsedURI = text(v.unparsed_uri) ?? uri
        queryString = text(v.args)
        var remote = text(v.remote_addr) ?? ""
        if options.contains(.forwardPhysicalAddress), let peer = text(v.peer_addr) { remote = peer }
        if options.contains(.forwardLocalAddress), let local = text(v.local_addr) { remote = local }
        remoteAddress = env(keys.remoteAddr) ?? remote
        remoteHost = env(keys.remoteHost) ?? text(v.remote_host)
        remotePort = env(keys.remotePort).flatMap { Int($0) } ?? Int(v.remote_port)
        let indicatedLocalPort = env(keys.localPort).flatMap { Int($0) }
        localAddress = env(keys.localAddr) ?? text(v.local_addr) ?? ""
        localPort = indicatedLocalPort ?? Int(v.local_port)
        serverName = env(keys.localName) ?? text(v.server_name) ?? ""
        // JkLocalPortIndicator overrides the port Tomcat sees (AJP has one port field).
        serverPort = indicatedLocalPort ?? Int(v.server_port)
        let https = env(keys.https)
        isSSL = https.map { $0.lowercased() == "on" } ?? false
        remoteUser = env(keys.remoteUser) ?? text(v.remote_user)
        authType = env(keys.authType) ?? text(v.auth_type)
        let headers = HeaderList(view: v.headers_in, count: Int(v.n_headers_in))
        self.headers = headers
        var contentLengthHeaders = 0
        headers.forEach { name, _ in if AJPRequestHeader.matches(name, "content-length") { contentLengthHeaders += 1 } }
        self.contentLengthHeaders = contentLengthHeaders
        contentLength = env(keys.ignoreCL) != nil ? -1 : v.content_length
        headerOnly = v.header_only != 0
        if isSSL && context.extractSSL {
            var ssl = SSLFacts()
            ssl.cert = env(keys.certs)
            if options.contains(.forwardSSLCertChain), ssl.cert != nil {
                let prefix = context.settings.indicators.certChainPrefix
                var index = 0
                while index < 32, let part = env("\(prefix)\(index)") {
                    ssl.cert = (ssl.cert ?? "") + part
                    index += 1
                }
            }
            ssl.cipher = env(keys.cipher)
            ssl.session = env(keys.session)
            if options.contains(.forwardKeySize) { ssl.keySize = env(keys.keySize).flatMap { Int($0) } }
            ssl.sslProtocol = env(keys.sslProtocol)
            self.ssl = ssl
        } else {
            ssl = nil
        }
        var attributes: [ForwardRequest.Header] = []
        if context.hasEnvVars {
            for variable in context.settings.envVars {
                if let value = env(variable.name), !value.isEmpty {
                    attributes.append(ForwardRequest.Header(variable.name, value))
                } else if let fallback = variable.defaultValue, !fallback.isEmpty {
                    attributes.append(ForwardRequest.Header(variable.name, fallback))
                }
            }
        }
        environmentAttributes = attributes
        jkRoute = env("JK_ROUTE" as StaticString)
        replyTimeout = env("JK_REPLY_TIMEOUT" as StaticString).flatMap { Int($0) }
        stickyIgnore = env("JK_STICKY_IGNORE" as StaticString).map { $0.isEmpty || $0 != "0" }
        stateless = env("JK_STATELESS" as StaticString).map { $0.isEmpty || $0 != "0" }
        requestID = env(keys.requestID)
        requestLine = nil
        canonicalName = nil
        serverDescription = v.server_description
        if context.hasRequestLogFormat {
            requestLine = text(v.request_line)
            canonicalName = text(v.canonical_name)
        }
    }
}
