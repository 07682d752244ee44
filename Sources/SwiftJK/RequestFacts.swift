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
    /// The request's strings as httpd holds them; Swift strings only on demand (`RequestText`).
    /// r->uri (decoded by httpd, path parameters kept).
    private(set) var uriText: RequestText
    /// r->uri after translate_name normalised it (a mount matched a URI with path parameters or
    /// dot segments), for the request log's `%U` as in mod_jk; nil when it was not changed.
    private(set) var mappedURI: String?
    /// r->unparsed_uri (as the client sent it, with the query string).
    private var unparsedURIText: RequestText
    private(set) var queryText: RequestText
    private(set) var remoteAddressText: RequestText
    private(set) var remoteHostText: RequestText
    private(set) var localAddressText: RequestText
    private(set) var serverNameText: RequestText

    var uri: String { uriText.string() ?? "/" }
    var unparsedURI: String { unparsedURIText.string() ?? uri }
    var queryString: String? { queryText.string() }
    var remoteAddress: String { remoteAddressText.string() ?? "" }
    var remoteHost: String? { remoteHostText.string() }
    var localAddress: String { localAddressText.string() ?? "" }
    var serverName: String { serverNameText.string() ?? "" }

    /// `unparsedURI` up to its query string. Searched as UTF-8 bytes: a Character walk over the
    /// URI cost ~3,000 instructions a request (callgrind), more than choosing the member.
    var unparsedPath: Substring {
        let whole = unparsedURI
        guard let question = whole.utf8.firstIndex(of: UInt8(ascii: "?")) else { return whole[...] }
        return whole[..<question]
    }

    /// The unparsed path where a session path parameter can be, for the sticky route: empty
    /// when its bytes (up to the query) do not hold the parameter's first byte (`;` unless an
    /// operator chose another `session_path`), so most requests decode no string for it.
    func sessionSearchPath(for sessionPath: String) -> Substring {
        guard let first = sessionPath.utf8.first, unparsedURIText.isPresent else { return unparsedPath }
        let found = unparsedURIText.withBytes { bytes -> Bool in
            guard let bytes else { return false }
            for byte in bytes {
                if byte == first { return true }
                if byte == UInt8(ascii: "?") { return false }
            }
            return false
        }
        return found ? unparsedPath : ""
    }
    var remotePort: Int
    /// `JkRemotePortIndicator`'s value, sent as it is (mod_jk forwards the text, not a number).
    var indicatedRemotePort: String?
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
    /// The server's own port (`%p` of JkRequestLogFormat, as mod_jk and mod_log_config write
    /// it), not the Host header's; 0 when the request log is off.
    var canonicalPort = 0
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

    /// Calls `body` with each Cookie header's value bytes (for the sticky route), in place.
    func forEachCookieHeader(_ body: (UnsafeBufferPointer<UInt8>) -> Void) { headers.forEachValue("cookie", body) }

    /// For tests: facts without httpd.
    init(
        method: String, uri: String, queryString: String? = nil, headers: [ForwardRequest.Header] = [],
        contentLength: Int64 = 0, remoteAddress: String = "127.0.0.1", remotePort: Int = 50000, localAddress: String = "127.0.0.1",
        serverName: String = "localhost", serverPort: Int = 80, uriBytes: UnsafePointer<CChar>? = nil
    ) {
        self.method = method
        self.protocolVersion = "HTTP/1.1"
        self.uriText = uriBytes.map { RequestText($0) } ?? RequestText(uri)
        self.unparsedURIText = RequestText(uri + (queryString.map { "?\($0)" } ?? ""))
        self.queryText = RequestText(queryString)
        self.remoteAddressText = RequestText(remoteAddress)
        self.remoteHostText = RequestText(nil as String?)
        self.remotePort = remotePort
        self.localAddressText = RequestText(localAddress)
        self.serverNameText = RequestText(serverName)
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

    /// The common methods and protocols as literals, without decoding the C string
    /// (`String(cString:)` measures and validates: ~190 instructions for a short one).
    static func knownMethod(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        if spells(pointer, "GET") { return "GET" }
        if spells(pointer, "POST") { return "POST" }
        if spells(pointer, "HEAD") { return "HEAD" }
        if spells(pointer, "PUT") { return "PUT" }
        if spells(pointer, "DELETE") { return "DELETE" }
        if spells(pointer, "OPTIONS") { return "OPTIONS" }
        return nil
    }

    static func knownProtocol(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        if spells(pointer, "HTTP/1.1") { return "HTTP/1.1" }
        if spells(pointer, "HTTP/1.0") { return "HTTP/1.0" }
        return nil
    }

    /// A port from `JkLocalPortIndicator`'s variable as mod_jk reads it: C's `atoi` (leading
    /// blanks, a sign, the digits up to the first other character; none: 0), kept to 16 bits
    /// (`-5` is 65531, `70000` is 4464). Seen with Debian's mod_jk 1.2.48: `8082abc` is sent as
    /// 8082 and `abc` as 0, where parsing strictly and falling back to the real port would
    /// send Tomcat another port than mod_jk does.
    static func portAsModJKReadsIt(_ text: String) -> Int {
        var bytes = text.utf8.drop { $0 == 0x20 || (0x09...0x0D).contains($0) }
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var value = 0  // strtol's long, saturating as it does
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(digit)
            if overflowTimes || overflowSum {
                value = Int.max
                break
            }
            value = sum
        }
        let long = negative ? (value == Int.max ? Int.min : -value) : value
        return Int(UInt16(truncatingIfNeeded: Int32(truncatingIfNeeded: long)))
    }

    /// Whether the C string is exactly `literal`.
    static func spells(_ pointer: UnsafePointer<CChar>, _ literal: StaticString) -> Bool {
        let bytes = literal.utf8Start
        for index in 0..<literal.utf8CodeUnitCount where UInt8(bitPattern: pointer[index]) != bytes[index] { return false }
        return pointer[literal.utf8CodeUnitCount] == 0
    }

    /// Reads the C view. The view itself lives only during the call; the strings and headers it
    /// points to live in httpd's pools for the whole request and are kept as pointers
    /// (`RequestText`, `HeaderList`).
    init(view: UnsafePointer<sjk_request_view>, server context: ServerContext) {
        let v = view.pointee
        func text(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        let environment = RequestEnvironment(v, withCommonVariables: context.hasEnvVars)
        let options = context.options
        let keys = context.keys
        method = Self.knownMethod(v.method) ?? text(v.method) ?? "GET"
        protocolVersion = Self.knownProtocol(v.protocol) ?? text(v.protocol) ?? "HTTP/1.1"
        uriText = RequestText(v.uri)
        mappedURI = v.mapped_uri.map { String(cString: $0) }
        unparsedURIText = RequestText(v.unparsed_uri)
        queryText = RequestText(v.args)
        // The port goes with the address, as in mod_jk: the TCP peer's with
        // ForwardPhysicalAddress (mod_remoteip's client has none), 0 with ForwardLocalAddress.
        var remote = v.remote_addr
        var port = Int(v.remote_port)
        if options.contains(.forwardPhysicalAddress), let peer = v.peer_addr {
            remote = peer
            port = Int(v.peer_port)
        }
        if options.contains(.forwardLocalAddress), let local = v.local_addr {
            remote = local
            port = 0
        }
        func indicated(_ value: String?, else pointer: UnsafePointer<CChar>?) -> RequestText {
            value.map { RequestText($0) } ?? RequestText(pointer)
        }
        remoteAddressText = indicated(environment[keys.remoteAddr], else: remote)
        remoteHostText = indicated(environment[keys.remoteHost], else: v.remote_host)
        remotePort = port
        indicatedRemotePort = environment[keys.remotePort]
        let indicatedLocalPort = environment[keys.localPort].map { Self.portAsModJKReadsIt($0) }
        localAddressText = indicated(environment[keys.localAddr], else: v.local_addr)
        serverNameText = indicated(environment[keys.localName], else: v.server_name)
        // JkLocalPortIndicator overrides the port Tomcat sees (AJP has one port field).
        serverPort = indicatedLocalPort ?? Int(v.server_port)
        // As mod_jk: with JkExtractSSL Off the request is not marked secure either.
        isSSL = context.extractSSL && environment[keys.https].map { $0.lowercased() == "on" } ?? false
        remoteUser = environment[keys.remoteUser] ?? text(v.remote_user)
        authType = environment[keys.authType] ?? text(v.auth_type)
        let headers = HeaderList(view: v.headers_in, count: Int(v.n_headers_in))
        self.headers = headers
        var contentLengthHeaders = 0
        headers.forEach { name, _ in if AJPRequestHeader.matches(name, "content-length") { contentLengthHeaders += 1 } }
        self.contentLengthHeaders = contentLengthHeaders
        contentLength = environment[keys.ignoreCL] != nil ? -1 : v.content_length
        headerOnly = v.header_only != 0
        if isSSL {
            var ssl = SSLFacts()
            // mod_ssl sets SSL_CLIENT_CERT to "" when the client sent none: no attribute then
            // (Tomcat would otherwise give the application an empty certificate array).
            ssl.cert = environment[keys.certs].flatMap { $0.isEmpty ? nil : $0 }
            if options.contains(.forwardSSLCertChain), ssl.cert != nil {
                let prefix = context.settings.indicators.certChainPrefix
                var index = 0
                while index < 32, let part = environment["\(prefix)\(index)"] {
                    ssl.cert = (ssl.cert ?? "") + part
                    index += 1
                }
            }
            ssl.cipher = environment[keys.cipher]
            ssl.session = environment[keys.session]
            if options.contains(.forwardKeySize) { ssl.keySize = environment[keys.keySize].flatMap { Int($0) } }
            ssl.sslProtocol = environment[keys.sslProtocol]
            self.ssl = ssl
        } else {
            ssl = nil
        }
        var attributes: [ForwardRequest.Header] = []
        if context.hasEnvVars {
            for variable in context.settings.envVars {
                // Set, even to "": forwarded as it is (mod_jk does; `getAttribute` gives "").
                if let value = environment[variable.name] {
                    attributes.append(ForwardRequest.Header(variable.name, value))
                } else if let fallback = variable.defaultValue, !fallback.isEmpty {
                    attributes.append(ForwardRequest.Header(variable.name, fallback))
                }
            }
        }
        environmentAttributes = attributes
        jkRoute = environment["JK_ROUTE" as StaticString]
        replyTimeout = environment["JK_REPLY_TIMEOUT" as StaticString].flatMap { Int($0) }
        stickyIgnore = environment["JK_STICKY_IGNORE" as StaticString].map { $0.isEmpty || $0 != "0" }
        stateless = environment["JK_STATELESS" as StaticString].map { $0.isEmpty || $0 != "0" }
        requestID = environment[keys.requestID]
        requestLine = nil
        canonicalName = nil
        serverDescription = v.server_description
        if context.hasRequestLogFormat {
            requestLine = text(v.request_line)
            canonicalName = text(v.canonical_name)
            canonicalPort = Int(v.canonical_port)
        }
    }
}
