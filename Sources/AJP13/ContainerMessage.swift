/// Container → web server packets, parsed in place.
///
/// ```
/// packet        := 'A' 'B' length(integer) payload[length]
/// SEND_HEADERS  := 0x04 status(integer) reason(string) num_headers(integer)
///                  *(header_name header_value(string))
///                  header_name := 0xA0 code(byte) (0xA001 Content-Type … 0xA00B WWW-Authenticate)
///                               | string
/// SEND_BODY_CHUNK := 0x03 chunk_length(integer) data[chunk_length] 0x00
///                    (chunk_length 0 = flush)
/// END_RESPONSE  := 0x05 reuse(boolean)
/// GET_BODY_CHUNK := 0x06 requested_length(integer)
/// CPONG         := 0x09
/// ```
///
/// Values refer to ranges of the payload instead of copying it: the payload stays in the
/// connection's receive buffer until the message has been acted upon. Every string range is
/// followed by a verified NUL in the payload.
public enum ContainerMessage: Equatable, Sendable {
    case sendHeaders(SendHeaders)
    /// The data's range in the payload; empty for a flush.
    case sendBodyChunk(Range<Int>)
    case endResponse(reuse: Bool)
    case getBodyChunk(requested: Int)
    case cpong

    public var type: PacketType {
        switch self {
        case .sendHeaders: .sendHeaders
        case .sendBodyChunk: .sendBodyChunk
        case .endResponse: .endResponse
        case .getBodyChunk: .getBodyChunk
        case .cpong: .cpong
        }
    }
}

/// A validated SEND_HEADERS payload.
public struct SendHeaders: Equatable, Sendable {
    public var status: Int
    /// nil when the reason string was absent.
    public var reason: Range<Int>?
    public var headerCount: Int
    /// Where the first header starts in the payload.
    public var headersOffset: Int

    public init(status: Int, reason: Range<Int>?, headerCount: Int, headersOffset: Int) {
        self.status = status
        self.reason = reason
        self.headerCount = headerCount
        self.headersOffset = headersOffset
    }

    public enum Name: Equatable {
        case coded(StaticString)
        case named(Range<Int>)

        public static func == (lhs: Name, rhs: Name) -> Bool {
            switch (lhs, rhs) {
            case (.coded(let a), .coded(let b)): a.utf8Start == b.utf8Start
            case (.named(let a), .named(let b)): a == b
            default: false
            }
        }
    }

    /// Calls `body` for each header in order. The headers were validated when the message was
    /// parsed, so this walks them without failing.
    public func forEachHeader(
        in payload: UnsafeRawBufferPointer, _ body: (_ name: Name, _ value: Range<Int>) throws -> Void
    ) rethrows {
        var reader = AJPReader(payload, offset: headersOffset)
        for _ in 0..<headerCount {
            guard let (name, value) = Self.readHeader(&reader) else { return }
            try body(name, value)
        }
    }

    /// One header, or nil when malformed. Shared by validation and iteration.
    static func readHeader(_ reader: inout AJPReader) -> (Name, Range<Int>)? {
        let start = reader.offset
        guard reader.remaining >= 2 else { return nil }
        let name: Name
        if reader.bytes[start] == 0xA0 {
            guard let code = reader.readInt(), let known = AJPResponseHeader.name(for: code) else { return nil }
            name = .coded(known)
        } else {
            guard let named = reader.readString(), let range = named else { return nil }
            name = .named(range)
        }
        guard let value = reader.readString(), let valueRange = value else { return nil }
        return (name, valueRange)
    }
}

extension ContainerMessage {
    /// The payload length announced by a 4-byte container packet header.
    ///
    /// Recognises a port that answers in HTTP or TLS, so the log can say "this port does not speak
    /// AJP" instead of a magic number.
    public static func payloadLength(
        header: UnsafeRawBufferPointer, maxPacketSize: Int
    ) -> Result<Int, AJPProtocolError> {
        guard header.count >= 4 else { return .failure(.malformed(.sendHeaders, "short header")) }
        guard header[0] == AJPMagic.fromContainer.0, header[1] == AJPMagic.fromContainer.1 else {
            if header[0] == 0x48, header[1] == 0x54, header[2] == 0x54, header[3] == 0x50 {  // "HTTP"
                return .failure(.httpAnswer)
            }
            if header[0] == 0x15 || header[0] == 0x16, header[1] == 0x03 {  // TLS alert / handshake
                return .failure(.tlsAnswer)
            }
            return .failure(.badMagic(first2: UInt16(header[0]) << 8 | UInt16(header[1])))
        }
        let length = Int(header[2]) << 8 | Int(header[3])
        guard length > 0 else { return .failure(.emptyPacket) }
        guard length <= maxPacketSize - 4 else {
            return .failure(.packetTooLarge(length: length, limit: maxPacketSize))
        }
        return .success(length)
    }

    /// Parses and validates one payload.
    public static func parse(_ payload: UnsafeRawBufferPointer) -> Result<ContainerMessage, AJPProtocolError> {
        var reader = AJPReader(payload)
        guard let typeByte = reader.readByte() else { return .failure(.emptyPacket) }
        guard let type = PacketType(rawValue: typeByte) else { return .failure(.unknownPacketType(typeByte)) }
        switch type {
        case .sendHeaders:
            return parseSendHeaders(&reader)
        case .sendBodyChunk:
            guard let length = reader.readInt() else { return .failure(.malformed(type, "no chunk length")) }
            let count = Int(length)
            let available = reader.remaining
            // Tomcat always sends the trailing NUL; tolerate its absence (some containers omit it).
            guard count <= available else {
                return .failure(.bodyChunkTooLarge(length: count, available: available))
            }
            return .success(.sendBodyChunk(reader.offset..<(reader.offset + count)))
        case .endResponse:
            // A missing reuse byte means "do not reuse" (mod_jk reads it as 0).
            guard reader.remaining > 0 else { return .success(.endResponse(reuse: false)) }
            let reuse = reader.readByte() ?? 0
            return .success(.endResponse(reuse: reuse == 1))
        case .getBodyChunk:
            guard let requested = reader.readInt() else { return .failure(.malformed(type, "no length")) }
            return .success(.getBodyChunk(requested: Int(requested)))
        case .cpong:
            return .success(.cpong)
        case .forwardRequest, .shutdown, .ping, .cping:
            return .failure(.unknownPacketType(typeByte))
        }
    }

    static func parseSendHeaders(_ reader: inout AJPReader) -> Result<ContainerMessage, AJPProtocolError> {
        guard let status = reader.readInt() else { return .failure(.malformed(.sendHeaders, "no status")) }
        // No HTTP status is 0: mod_jk refuses it too ("NULL status"), so the request can go to
        // another member instead of reaching the client as a 500 with this body.
        guard status != 0 else { return .failure(.malformed(.sendHeaders, "status 0")) }
        guard let reason = reader.readString() else { return .failure(.malformed(.sendHeaders, "bad reason string")) }
        guard let count = reader.readInt() else { return .failure(.malformed(.sendHeaders, "no header count")) }
        let headersOffset = reader.offset
        for index in 0..<Int(count) {
            if reader.remaining >= 2, reader.bytes[reader.offset] == 0xA0 {
                var probe = reader
                if let code = probe.readInt(), AJPResponseHeader.name(for: code) == nil {
                    return .failure(.unknownHeaderCode(code))
                }
            }
            guard SendHeaders.readHeader(&reader) != nil else {
                return .failure(.malformed(.sendHeaders, "header \(index + 1) of \(count) truncated"))
            }
        }
        return .success(
            .sendHeaders(
                SendHeaders(status: Int(status), reason: reason, headerCount: Int(count), headersOffset: headersOffset)))
    }
}
