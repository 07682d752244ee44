import AJP13
import CSwiftJKABI
import JKConfig

/// What SwiftJK needs to know about one httpd request, read once from `sjk_request_view` and the
/// request's environment (indicator variables). Building the AJP request from it is pure
/// (`ForwardRequest.init(facts:)`), so it is tested without httpd.
struct RequestFacts: Sendable {
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
    var headers: [ForwardRequest.Header]
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

    struct SSLFacts: Sendable, Equatable {
        var cert: String?
        var cipher: String?
        var session: String?
        var keySize: Int?
        var sslProtocol: String?
    }

    /// Cookie header values (for the sticky route).
    var cookieHeaders: [Substring] {
        headers.lazy.filter { $0.name.utf8.count == 6 && $0.name.lowercased() == "cookie" }.map { Substring($0.value) }
    }
}

extension RequestFacts {
    /// Reads the C view. Strings are copied: the view lives only during the call.
    init(view: UnsafePointer<sjk_request_view>, server: ServerSettings) {
        let v = view.pointee
        func text(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        let env: (String) -> String? = { name in
            guard let host = v.host, let getEnv = host.pointee.get_env else { return nil }
            return name.withCString { getEnv(v.r, $0) }.map { String(cString: $0) }
        }
        let options = server.options
        let indicators = server.indicators
        method = text(v.method) ?? "GET"
        protocolVersion = text(v.protocol) ?? "HTTP/1.1"
        uri = text(v.uri) ?? "/"
        unparsedURI = text(v.unparsed_uri) ?? uri
        queryString = text(v.args)
        var remote = text(v.remote_addr) ?? ""
        if options.contains(.forwardPhysicalAddress), let peer = text(v.peer_addr) { remote = peer }
        if options.contains(.forwardLocalAddress), let local = text(v.local_addr) { remote = local }
        remoteAddress = env(indicators.remoteAddr) ?? remote
        remoteHost = env(indicators.remoteHost) ?? text(v.remote_host)
        remotePort = env(indicators.remotePort).flatMap { Int($0) } ?? Int(v.remote_port)
        localAddress = env(indicators.localAddr) ?? text(v.local_addr) ?? ""
        localPort = env(indicators.localPort).flatMap { Int($0) } ?? Int(v.local_port)
        serverName = env(indicators.localName) ?? text(v.server_name) ?? ""
        serverPort = Int(v.server_port)
        let https = env(indicators.https)
        isSSL = https.map { $0.lowercased() == "on" } ?? false
        remoteUser = env(indicators.remoteUser) ?? text(v.remote_user)
        authType = env(indicators.authType) ?? text(v.auth_type)
        var headers: [ForwardRequest.Header] = []
        if let list = v.headers_in {
            headers.reserveCapacity(Int(v.n_headers_in) + 1)
            for index in 0..<Int(max(0, v.n_headers_in)) {
                let entry = list[index]
                guard let name = entry.name else { continue }
                headers.append(ForwardRequest.Header(String(cString: name), entry.value.map { String(cString: $0) } ?? ""))
            }
        }
        self.headers = headers
        contentLength = env(indicators.ignoreCL) != nil ? -1 : v.content_length
        headerOnly = v.header_only != 0
        if isSSL && server.extractSSL {
            var ssl = SSLFacts()
            ssl.cert = env(indicators.certs)
            if options.contains(.forwardSSLCertChain), ssl.cert != nil {
                var index = 0
                while index < 32, let part = env("\(indicators.certChainPrefix)\(index)") {
                    ssl.cert = (ssl.cert ?? "") + part
                    index += 1
                }
            }
            ssl.cipher = env(indicators.cipher)
            ssl.session = env(indicators.session)
            if options.contains(.forwardKeySize) { ssl.keySize = env(indicators.keySize).flatMap { Int($0) } }
            ssl.sslProtocol = env(indicators.sslProtocol)
            self.ssl = ssl
        } else {
            ssl = nil
        }
        var attributes: [ForwardRequest.Header] = []
        for variable in server.envVars {
            if let value = env(variable.name), !value.isEmpty {
                attributes.append(ForwardRequest.Header(variable.name, value))
            } else if let fallback = variable.defaultValue, !fallback.isEmpty {
                attributes.append(ForwardRequest.Header(variable.name, fallback))
            }
        }
        environmentAttributes = attributes
        jkRoute = env("JK_ROUTE")
        replyTimeout = env("JK_REPLY_TIMEOUT").flatMap { Int($0) }
        stickyIgnore = env("JK_STICKY_IGNORE").map { $0.isEmpty || $0 != "0" }
        stateless = env("JK_STATELESS").map { $0.isEmpty || $0 != "0" }
        requestID = env(indicators.requestID)
    }
}
