import AJP13
import JKConfig

/// The production FORWARD_REQUEST writer: the same bytes as `ForwardRequest(facts:)` followed
/// by `encode(into:)` (a unit test holds them equal), written straight from the request facts
/// and httpd's header table into the connection's packet buffer, without building an
/// intermediate request value.
struct RequestEncoder: ForwardRequestSource {
    let facts: RequestFacts
    /// The request URI as forwarded (`JkOptions ForwardURI*`): httpd's own bytes unless they
    /// needed escaping.
    let uri: RequestText
    /// Per attempt: the member's secret, the route, the member's activation.
    var secret: String?
    var route: String?
    var activation: String?

    init(facts: RequestFacts, options: JkOptions) {
        self.facts = facts
        self.uri = ForwardRequest.forwardedURIText(facts, options: options)
    }

    var method: String { facts.method }

    func encode(into writer: inout AJPPacketWriter) -> Bool {
        writer.begin()
        writer.putByte(PacketType.forwardRequest.rawValue)
        writer.part = .method
        let methodCode = AJPMethod.code(for: facts.method)
        writer.putByte(methodCode ?? AJPMethod.stored)
        writer.part = .protocolVersion
        writer.putString(facts.protocolVersion)
        writer.part = .uri
        writer.putText(uri, absent: "/")
        writer.part = .remoteAddress
        writer.putText(facts.remoteAddressText, absent: "")
        writer.part = .remoteHost
        writer.putText(facts.remoteHostText, absent: nil)
        writer.part = .serverName
        writer.putText(facts.serverNameText, absent: "")
        writer.putInt(UInt16(clamping: facts.serverPort))
        writer.putBool(facts.isSSL)
        // Content-Length: dropped for chunked bodies, "0" added for body-less requests that lack it.
        let chunked = facts.contentLength < 0
        let addZero = facts.contentLength == 0 && facts.contentLengthHeaders == 0
        let count = facts.headers.count - (chunked ? facts.contentLengthHeaders : 0) + (addZero ? 1 : 0)
        writer.putInt(UInt16(clamping: count))
        var index = 0
        facts.headers.forEach { name, value in
            if chunked && AJPRequestHeader.matches(name, "content-length") { return }
            writer.part = .header(index: index)
            writer.putHeader(name: name, value: value)
            index += 1
        }
        if addZero {
            writer.part = .header(index: index)
            writer.putHeader(name: "content-length", value: "0")
        }
        writer.putAttribute(.secret, secret)
        writer.putAttribute(.remoteUser, facts.remoteUser)
        writer.putAttribute(.authType, facts.authType)
        if facts.queryText.isPresent {
            writer.part = .attribute(.queryString)
            writer.putByte(AJPAttribute.queryString.rawValue)
            writer.putText(facts.queryText, absent: nil)
        }
        writer.putAttribute(.route, route)
        if let ssl = facts.ssl {
            writer.putAttribute(.sslCert, ssl.cert)
            writer.putAttribute(.sslCipher, ssl.cipher)
            writer.putAttribute(.sslSession, ssl.session)
            if let keySize = ssl.keySize {
                writer.part = .attribute(.sslKeySize)
                writer.putByte(AJPAttribute.sslKeySize.rawValue)
                writer.putInt(UInt16(clamping: keySize))
            }
        }
        if methodCode == nil { writer.putAttribute(.storedMethod, facts.method) }
        var attribute = 0
        func named(_ name: String, _ value: String) {
            writer.part = .requestAttribute(index: attribute)
            writer.putByte(AJPAttribute.requestAttribute.rawValue)
            writer.putString(name)
            writer.putString(value)
            attribute += 1
        }
        if let sslProtocol = facts.ssl?.sslProtocol { named("AJP_SSL_PROTOCOL", sslProtocol) }
        writer.part = .requestAttribute(index: attribute)
        writer.putByte(AJPAttribute.requestAttribute.rawValue)
        writer.putString(static: "AJP_REMOTE_PORT")
        if let indicated = facts.indicatedRemotePort { writer.putString(indicated) } else { writer.putDecimalString(facts.remotePort) }
        attribute += 1
        writer.part = .requestAttribute(index: attribute)
        writer.putByte(AJPAttribute.requestAttribute.rawValue)
        writer.putString(static: "AJP_LOCAL_ADDR")
        writer.putText(facts.localAddressText, absent: "")
        attribute += 1
        if let activation { named("JK_LB_ACTIVATION", activation) }
        for variable in facts.environmentAttributes { named(variable.name, variable.value) }
        writer.part = .prefix
        writer.putByte(AJPAttribute.terminator.rawValue)
        return writer.finish()
    }
}

extension AJPPacketWriter {
    /// A request string from httpd's bytes; `absent` is what an absent one is sent as (nil: the
    /// absent string, 0xFFFF).
    mutating func putText(_ text: RequestText, absent: StaticString?) {
        text.withBytes { bytes in
            if let bytes {
                putString(bytes)
            } else if let absent {
                putString(static: absent)
            } else {
                putAbsentString()
            }
        }
    }
}
