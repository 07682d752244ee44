import AJP13
import JKConfig

extension ForwardRequest {
    /// The AJP request for an httpd request (mod_jk's `init_ws_service` + `ajp_marshal_into_msgb`
    /// inputs). Per-attempt attributes (secret, route, JK_LB_ACTIVATION) are set by the caller.
    init(facts: RequestFacts, options: JkOptions) {
        var headers = facts.headers.owned
        let hasBody = facts.contentLength != 0
        if facts.contentLength < 0 {
            // Chunked or unknown length: Tomcat treats a missing Content-Length as "read until
            // the empty packet", which is what we will send.
            headers.removeAll { $0.name.utf8.count == 14 && $0.name.lowercased() == "content-length" }
        } else if !hasBody, !headers.contains(where: { $0.name.utf8.count == 14 && $0.name.lowercased() == "content-length" }) {
            // Tomcat reads an absent Content-Length as "unknown, non-zero body": say 0.
            headers.append(ForwardRequest.Header("content-length", "0"))
        }
        var attributes = Attributes()
        attributes.remoteUser = facts.remoteUser
        attributes.authType = facts.authType
        attributes.queryString = facts.queryString
        if let ssl = facts.ssl {
            attributes.sslCert = ssl.cert
            attributes.sslCipher = ssl.cipher
            attributes.sslSession = ssl.session
            attributes.sslKeySize = ssl.keySize
        }
        var named: [Header] = []
        if let sslProtocol = facts.ssl?.sslProtocol { named.append(Header("AJP_SSL_PROTOCOL", sslProtocol)) }
        named.append(Header("AJP_REMOTE_PORT", String(facts.remotePort)))
        named.append(Header("AJP_LOCAL_ADDR", facts.localAddress))
        attributes.requestAttributes = named + facts.environmentAttributes
        self.init(
            method: facts.method, protocolVersion: facts.protocolVersion,
            uri: Self.forwardedURI(facts, options: options), remoteAddress: facts.remoteAddress,
            remoteHost: facts.remoteHost, serverName: facts.serverName,
            serverPort: UInt16(clamping: facts.serverPort), isSSL: facts.isSSL, headers: headers,
            attributes: attributes)
    }

    /// Sets the per-attempt attributes: the member's secret, the route and `JK_LB_ACTIVATION`
    /// (inserted before any `JkEnvVar`, in mod_jk's order).
    mutating func prepareAttempt(secret: String?, route: String?, activation: String?) {
        attributes.secret = secret
        attributes.route = route
        attributes.requestAttributes.removeAll { $0.name == "JK_LB_ACTIVATION" }
        if let activation {
            let position = attributes.requestAttributes.firstIndex {
                $0.name != "AJP_SSL_PROTOCOL" && $0.name != "AJP_REMOTE_PORT" && $0.name != "AJP_LOCAL_ADDR"
            } ?? attributes.requestAttributes.count
            attributes.requestAttributes.insert(Header("JK_LB_ACTIVATION", activation), at: position)
        }
    }

    /// The request URI as forwarded, by `JkOptions ForwardURI*`.
    static func forwardedURI(_ facts: RequestFacts, options: JkOptions) -> String {
        if options.contains(.forwardURICompatUnparsed) {
            // The original request line's path, untouched.
            let unparsed = facts.unparsedURI
            if let question = unparsed.firstIndex(of: "?") { return String(unparsed[..<question]) }
            return unparsed
        }
        if options.contains(.forwardURICompat) { return facts.uri }
        // ForwardURIEscaped: httpd's ap_escape_uri, which writes lowercase hex digits.
        if options.contains(.forwardURIEscaped) { return URIEscaping.escapePath(facts.uri, lowercaseHex: true) }
        // ForwardURIProxy (default): re-encode the decoded URI.
        return URIEscaping.escapePath(facts.uri)
    }
}

/// Percent-encoding of a decoded path for forwarding (`ForwardURIProxy`): the characters that
/// cannot appear literally in a path are encoded; `;`, `=`, `,` and the other sub-delimiters
/// stay, so `;jsessionid=` path parameters survive.
enum URIEscaping {
    static func escapePath(_ path: String, lowercaseHex: Bool = false) -> String {
        var needs = false
        for byte in path.utf8 where !isAllowed(byte) {
            needs = true
            break
        }
        guard needs else { return path }
        var output: [UInt8] = []
        output.reserveCapacity(path.utf8.count + 16)
        let hex = Array((lowercaseHex ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        for byte in path.utf8 {
            if isAllowed(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// unreserved / sub-delims / ":" "@" "/" (RFC 3986 pchar plus "/").
    @inline(__always)
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"),
            UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
            UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}
