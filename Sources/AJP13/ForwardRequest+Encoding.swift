/// FORWARD_REQUEST marshalling (mod_jk `ajp_marshal_into_msgb`, httpd `ajp_header.c`).
///
/// ```
/// AJPV13_REQUEST :=
///     prefix_code      (byte) 0x02 = FORWARD_REQUEST
///     method           (byte) SC_M_* code, 0xFF = stored method (see attribute 0x0D)
///     protocol         (string)
///     req_uri          (string)
///     remote_addr      (string)
///     remote_host      (string, 0xFFFF when absent)
///     server_name      (string)
///     server_port      (integer)
///     is_ssl           (boolean)
///     num_headers      (integer)
///     request_headers *(req_header_name req_header_value)
///     attributes      *(attribute_code attribute_value)
///     request_terminator (byte) 0xFF
///
/// req_header_name  := 0xA0 sc_req_header_code (integer) | string
/// attribute        := 0x0C secret | 0x03 remote_user | 0x04 auth_type | 0x05 query_string
///                   | 0x06 route | 0x07 ssl_cert | 0x08 ssl_cipher | 0x09 ssl_session
///                   | 0x0B ssl_key_size (integer) | 0x0D stored_method
///                   | 0x0A req_attribute (name string, value string)
/// ```
///
/// Attributes go out in mod_jk's order: secret first, then remote_user, auth_type, query_string,
/// route, ssl_cert, ssl_cipher, ssl_session, ssl_key_size, stored_method, then the named request
/// attributes in the order given (docs/modjk-behaviour.md §5.2, §5.8).
/// Anything that can write itself as a FORWARD_REQUEST packet: the `ForwardRequest` value, or
/// the composition root's encoder that writes straight from httpd's request without building
/// one (the hot path).
public protocol ForwardRequestSource {
    /// The HTTP method, for the retry policy.
    var method: String { get }
    /// Writes the whole packet; false when it does not fit (see `writer.overflow`).
    func encode(into writer: inout AJPPacketWriter) -> Bool
}

extension ForwardRequest: ForwardRequestSource {
    /// Encodes the request as one packet. Returns false (see `writer.overflow` and `writer.needed`)
    /// when it does not fit the writer's limit.
    @discardableResult
    public func encode(into writer: inout AJPPacketWriter) -> Bool {
        writer.begin()
        writer.putByte(PacketType.forwardRequest.rawValue)
        writer.part = .method
        let methodCode = AJPMethod.code(for: method)
        writer.putByte(methodCode ?? AJPMethod.stored)
        writer.part = .protocolVersion
        writer.putString(protocolVersion)
        writer.part = .uri
        writer.putString(uri)
        writer.part = .remoteAddress
        writer.putString(remoteAddress)
        writer.part = .remoteHost
        writer.putString(remoteHost)
        writer.part = .serverName
        writer.putString(serverName)
        writer.putInt(serverPort)
        writer.putBool(isSSL)
        writer.putInt(UInt16(clamping: headers.count))
        for (index, header) in headers.enumerated() {
            writer.part = .header(index: index)
            writer.putHeader(name: header.name, value: header.value)
        }
        attributes.encode(into: &writer, storedMethod: methodCode == nil ? method : nil)
        writer.part = .prefix
        writer.putByte(AJPAttribute.terminator.rawValue)
        return writer.finish()
    }
}

extension ForwardRequest.Attributes {
    func encode(into writer: inout AJPPacketWriter, storedMethod: String?) {
        writer.putAttribute(.secret, secret)
        writer.putAttribute(.remoteUser, remoteUser)
        writer.putAttribute(.authType, authType)
        writer.putAttribute(.queryString, queryString)
        writer.putAttribute(.route, route)
        writer.putAttribute(.sslCert, sslCert)
        writer.putAttribute(.sslCipher, sslCipher)
        writer.putAttribute(.sslSession, sslSession)
        if let sslKeySize {
            writer.part = .attribute(.sslKeySize)
            writer.putByte(AJPAttribute.sslKeySize.rawValue)
            writer.putInt(UInt16(clamping: sslKeySize))
        }
        writer.putAttribute(.storedMethod, storedMethod)
        for (index, attribute) in requestAttributes.enumerated() {
            writer.part = .requestAttribute(index: index)
            writer.putByte(AJPAttribute.requestAttribute.rawValue)
            writer.putString(attribute.name)
            writer.putString(attribute.value)
        }
    }
}

extension AJPPacketWriter {
    /// A request header: the 2-byte code when the name has one, else the name as a string.
    public mutating func putHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if let code = AJPRequestHeader.code(forName: name) {
            putInt(code)
        } else {
            putString(name)
        }
        putString(value)
    }

    public mutating func putHeader(name: String, value: String) {
        var name = name
        var value = value
        name.withUTF8 { n in
            value.withUTF8 { v in putHeader(name: UnsafeRawBufferPointer(n), value: UnsafeRawBufferPointer(v)) }
        }
    }

    /// A string attribute, skipped when absent.
    public mutating func putAttribute(_ code: AJPAttribute, _ value: String?) {
        guard let value else { return }
        part = .attribute(code)
        putByte(code.rawValue)
        putString(value)
    }
}
