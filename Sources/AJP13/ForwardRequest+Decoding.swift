/// FORWARD_REQUEST parsing, the container's side of `ForwardRequest+Encoding.swift` (the same
/// layout). SwiftJK never receives these in production; the scripted test container, the null
/// benchmark backend and the encoder round-trip fuzzer do.
extension ForwardRequest {
    /// Header names for the codes 0xA001…0xA00E, as Tomcat names them.
    public static let codedHeaderNames = [
        "accept", "accept-charset", "accept-encoding", "accept-language", "authorization", "connection",
        "content-type", "content-length", "cookie", "cookie2", "host", "pragma", "referer", "user-agent",
    ]

    /// Parses a FORWARD_REQUEST payload (after the 4-byte header).
    public static func decode(_ payload: UnsafeRawBufferPointer) -> Result<ForwardRequest, AJPProtocolError> {
        var reader = AJPReader(payload)
        func fail(_ what: String) -> Result<ForwardRequest, AJPProtocolError> { .failure(.malformed(.forwardRequest, what)) }
        func string(_ what: String) -> String?? {
            guard let field = reader.readString() else { return nil }
            return .some(field.map { payload.string($0) })
        }
        guard reader.readByte() == PacketType.forwardRequest.rawValue else { return fail("not a FORWARD_REQUEST") }
        guard let methodCode = reader.readByte() else { return fail("no method") }
        guard let protocolField = string("protocol"), let protocolVersion = protocolField else { return fail("protocol") }
        guard let uriField = string("uri"), let uri = uriField else { return fail("uri") }
        guard let addressField = string("remote_addr"), let remoteAddress = addressField else { return fail("remote_addr") }
        guard let remoteHost = string("remote_host") else { return fail("remote_host") }
        guard let serverField = string("server_name"), let serverName = serverField else { return fail("server_name") }
        guard let serverPort = reader.readInt() else { return fail("server_port") }
        guard let isSSL = reader.readBool() else { return fail("is_ssl") }
        guard let headerCount = reader.readInt() else { return fail("num_headers") }
        var headers: [Header] = []
        for _ in 0..<Int(headerCount) {
            guard reader.remaining >= 2 else { return fail("header name") }
            let name: String
            if reader.bytes[reader.offset] == 0xA0 {
                guard let code = reader.readInt() else { return fail("header code") }
                let index = Int(code) - 0xA001
                guard index >= 0, index < codedHeaderNames.count else { return fail("unknown header code") }
                name = codedHeaderNames[index]
            } else {
                guard let field = string("header name"), let text = field else { return fail("header name") }
                name = text
            }
            guard let valueField = string("header value"), let value = valueField else { return fail("header value") }
            headers.append(Header(name, value))
        }
        var attributes = Attributes()
        var storedMethod: String?
        while true {
            guard let code = reader.readByte() else { return fail("missing terminator") }
            if code == AJPAttribute.terminator.rawValue { break }
            guard let attribute = AJPAttribute(rawValue: code) else { return fail("unknown attribute \(code)") }
            switch attribute {
            case .sslKeySize:
                guard let size = reader.readInt() else { return fail("ssl_key_size") }
                attributes.sslKeySize = Int(size)
            case .requestAttribute:
                guard let nameField = string("attribute name"), let name = nameField,
                    let valueField = string("attribute value"), let value = valueField
                else { return fail("req_attribute") }
                attributes.requestAttributes.append(Header(name, value))
            case .terminator:
                break
            default:
                guard let field = string("attribute"), let value = field else { return fail("attribute \(code)") }
                switch attribute {
                case .secret: attributes.secret = value
                case .remoteUser: attributes.remoteUser = value
                case .authType: attributes.authType = value
                case .queryString: attributes.queryString = value
                case .route: attributes.route = value
                case .sslCert: attributes.sslCert = value
                case .sslCipher: attributes.sslCipher = value
                case .sslSession: attributes.sslSession = value
                case .storedMethod: storedMethod = value
                case .context, .servletPath, .requestAttribute, .sslKeySize, .terminator: break
                }
            }
        }
        let method: String
        if methodCode == AJPMethod.stored {
            guard let storedMethod else { return fail("stored method missing") }
            method = storedMethod
        } else {
            guard let name = AJPMethod.name(for: methodCode) else { return fail("unknown method code \(methodCode)") }
            method = name
        }
        return .success(
            ForwardRequest(
                method: method, protocolVersion: protocolVersion, uri: uri, remoteAddress: remoteAddress,
                remoteHost: remoteHost, serverName: serverName, serverPort: serverPort, isSSL: isSSL, headers: headers,
                attributes: attributes))
    }
}
