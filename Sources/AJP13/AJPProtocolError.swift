/// What was wrong with the bytes a container sent. Values, not log strings: the shell decides how
/// to log them and whether the request may go elsewhere.
public enum AJPProtocolError: Error, Equatable, Sendable {
    /// The packet did not start with "AB". `first2` are the two bytes seen.
    case badMagic(first2: UInt16)
    /// The port answered in HTTP ("HTTP/1.1 400 …"): it does not speak AJP.
    case httpAnswer
    /// The port answered with a TLS record.
    case tlsAnswer
    /// The announced payload exceeds the packet size we accept.
    case packetTooLarge(length: Int, limit: Int)
    /// A zero-length payload: there is no packet type to read.
    case emptyPacket
    case unknownPacketType(UInt8)
    /// A packet whose fields do not parse (truncated string, missing NUL, bad boolean, …).
    case malformed(PacketType, String)
    /// A SEND_BODY_CHUNK whose length exceeds the packet.
    case bodyChunkTooLarge(length: Int, available: Int)
    /// An unknown response header code (above 0xA00B).
    case unknownHeaderCode(UInt16)
    /// A packet that is legal AJP but not in this state (a second SEND_HEADERS, a body chunk
    /// before the headers, END_RESPONSE before the headers, CPONG during a request).
    case unexpected(PacketType, whileIn: String)

    /// A short human-readable cause for the jk log; names the packet.
    public var description: String {
        switch self {
        case .badMagic(let bytes):
            let hex = String(bytes, radix: 16, uppercase: true)
            return "protocol error: packet does not start with AB (got 0x\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex))"
        case .httpAnswer: return "port does not speak AJP (got an HTTP answer)"
        case .tlsAnswer: return "port does not speak AJP (got a TLS answer)"
        case .packetTooLarge(let length, let limit):
            return "protocol error: packet of \(length) bytes exceeds max_packet_size \(limit)"
        case .emptyPacket: return "protocol error: empty packet"
        case .unknownPacketType(let type): return "protocol error: unknown packet type \(type)"
        case .malformed(let type, let what): return "protocol error: malformed \(type.name) (\(what))"
        case .bodyChunkTooLarge(let length, let available):
            return "protocol error: SEND_BODY_CHUNK announces \(length) bytes but the packet holds \(available)"
        case .unknownHeaderCode(let code):
            return "protocol error: SEND_HEADERS has unknown header code 0x\(String(code, radix: 16, uppercase: true))"
        case .unexpected(let type, let state): return "protocol error: unexpected \(type.name) while \(state)"
        }
    }
}

extension PacketType {
    /// The name used in mod_jk's documentation and in our log lines.
    public var name: String {
        switch self {
        case .forwardRequest: "FORWARD_REQUEST"
        case .shutdown: "SHUTDOWN"
        case .ping: "PING"
        case .cping: "CPING"
        case .sendBodyChunk: "SEND_BODY_CHUNK"
        case .sendHeaders: "SEND_HEADERS"
        case .endResponse: "END_RESPONSE"
        case .getBodyChunk: "GET_BODY_CHUNK"
        case .cpong: "CPONG"
        }
    }
}
