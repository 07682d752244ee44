import AJP13
import JKBalancer
import JKClient

/// `JkLogLevel trace`: a summary line per AJP packet, then a hex dump of its first 1024 bytes
/// (16 per line, offset, hex, ASCII — the layout of mod_jk's dumps). The worker's secret, and
/// the values of Authorization, Cookie and Set-Cookie headers, are masked before anything is
/// formatted.
enum PacketTrace {
    static func attach(to connection: AJPConnection, worker: String, secret: String?, log: JKLog) {
        guard log.enabled(.trace) else {
            connection.tracer = nil
            return
        }
        let secretBytes = secret.map { Array($0.utf8) } ?? []
        connection.tracer = { outgoing, packet in
            var bytes = Array(packet)
            if !secretBytes.isEmpty { mask(secretBytes, in: &bytes) }
            CredentialMask.apply(to: &bytes, outgoing: outgoing)
            let type = bytes.count > 4 ? describe(bytes[4], outgoing: outgoing) : (bytes.count == 4 ? "empty body packet" : "?")
            log.trace("\(outgoing ? "→" : "←") \(worker): \(type), \(bytes.count) bytes")
            for line in dump(bytes.prefix(1024)) { log.trace(line) }
        }
    }

    static func describe(_ code: UInt8, outgoing: Bool) -> String {
        if outgoing {
            switch code {
            case PacketType.forwardRequest.rawValue: return "FORWARD_REQUEST"
            case PacketType.cping.rawValue: return "CPING"
            default: return "body data"
            }
        }
        return PacketType(rawValue: code)?.name ?? "type \(code)"
    }

    /// Replaces every occurrence of the secret with `*`.
    static func mask(_ secret: [UInt8], in bytes: inout [UInt8]) {
        guard secret.count <= bytes.count else { return }
        var index = 0
        while index + secret.count <= bytes.count {
            if bytes[index..<(index + secret.count)].elementsEqual(secret) {
                for position in index..<(index + secret.count) { bytes[position] = UInt8(ascii: "*") }
                index += secret.count
            } else {
                index += 1
            }
        }
    }

    static func dump(_ bytes: ArraySlice<UInt8>) -> [String] {
        let hex = Array("0123456789ABCDEF".utf8)
        var lines: [String] = []
        var offset = 0
        let all = Array(bytes)
        while offset < all.count {
            let row = all[offset..<min(offset + 16, all.count)]
            var text: [UInt8] = []
            let position = String(offset, radix: 16)
            text += Array(String(repeating: "0", count: max(0, 4 - position.count)).utf8) + Array(position.utf8) + Array("    ".utf8)
            for byte in row {
                text += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)], UInt8(ascii: " ")]
            }
            text += Array(String(repeating: "   ", count: 16 - row.count).utf8) + Array(" - ".utf8)
            for byte in row { text.append(byte >= 0x20 && byte < 0x7F ? byte : UInt8(ascii: ".")) }
            lines.append(String(decoding: text, as: UTF8.self))
            offset += 16
        }
        return lines
    }
}

/// Overwrites credential header values in a packet with `*`, walking the AJP layout with bounds
/// checks (a malformed packet is left as it is, never trapped on).
///
/// FORWARD_REQUEST: AB-less magic 0x1234, length, type 2, method, then protocol, req_uri,
/// remote_addr, remote_host, server_name (strings), server_port (2), is_ssl (1), header count
/// (2), headers. SEND_HEADERS: 'AB', length, type 4, status (2), reason (string), header count
/// (2), headers. A header name is a 0xA0xx code or a string; a string is a 2-byte length
/// (0xFFFF = null), the bytes and a NUL.
enum CredentialMask {
    static let requestNames: Set<String> = ["authorization", "proxy-authorization", "cookie", "cookie2"]
    static let responseNames: Set<String> = ["set-cookie", "set-cookie2"]
    /// The codes of those names, from the codec's own tables (a hand-written list once had
    /// Set-Cookie as 0xA008, which is Set-Cookie2, and logged Tomcat's JSESSIONID in clear).
    static let requestCodes: Set<UInt16> = Set(requestNames.compactMap { AJPRequestHeader.code(forName: $0) })
    static let responseCodes: Set<UInt16> = Set((0xA001...0xA0FF).filter { code in
        AJPResponseHeader.name(for: UInt16(code)).map { responseNames.contains($0.description.lowercased()) } ?? false
    }.map { UInt16($0) })

    static func apply(to bytes: inout [UInt8], outgoing: Bool) {
        guard bytes.count > 5 else { return }
        var at = 5
        func int16() -> Int? {
            guard at + 2 <= bytes.count else { return nil }
            defer { at += 2 }
            return Int(bytes[at]) << 8 | Int(bytes[at + 1])
        }
        /// Skips a string; returns the range of its bytes (nil for a null string or a bad one).
        func string() -> Range<Int>?? {
            guard let length = int16() else { return .none }
            if length == 0xFFFF { return .some(nil) }
            guard at + length + 1 <= bytes.count else { return .none }
            defer { at += length + 1 }
            return .some(at..<(at + length))
        }
        let codes: Set<UInt16>
        let names: Set<String>
        if outgoing {
            guard bytes[4] == PacketType.forwardRequest.rawValue else { return }
            at = 6                                   // type, method
            for index in 0..<5 {
                guard case .some(let range) = string() else { return }
                if index == 1, let range { maskSessionIDs(&bytes, range) }   // req_uri
            }
            at += 3                                  // server_port, is_ssl
            codes = requestCodes
            names = requestNames
        } else {
            guard bytes[4] == PacketType.sendHeaders.rawValue else { return }
            at = 7                                   // type, status
            guard case .some = string() else { return }
            codes = responseCodes
            names = responseNames
        }
        guard let count = int16() else { return }
        for _ in 0..<count {
            guard at + 2 <= bytes.count else { return }
            let secret: Bool
            if bytes[at] == 0xA0 {
                let code = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
                at += 2
                secret = codes.contains(code)
            } else {
                guard case .some(let name) = string() else { return }
                secret = name.map { names.contains(String(decoding: bytes[$0], as: UTF8.self).lowercased()) } ?? false
            }
            guard case .some(let value) = string() else { return }
            if secret, let value {
                for index in value { bytes[index] = UInt8(ascii: "*") }
            }
        }
        guard outgoing else { return }
        // Attributes: a code, then a string (two for req_attribute, an int for ssl_key_size),
        // up to 0xFF. The query string may carry jsessionid=.
        for _ in 0..<64 {
            guard at < bytes.count else { return }
            let code = bytes[at]
            at += 1
            switch code {
            case AJPAttribute.terminator.rawValue: return
            case AJPAttribute.requestAttribute.rawValue:
                guard case .some = string(), case .some = string() else { return }
            case AJPAttribute.sslKeySize.rawValue:
                at += 2
            default:
                guard case .some(let range) = string() else { return }
                if code == AJPAttribute.queryString.rawValue, let range { maskSessionIDs(&bytes, range) }
            }
        }
    }

    /// Masks `jsessionid=` values inside `range` (same length, so the packet layout holds).
    static func maskSessionIDs(_ bytes: inout [UInt8], _ range: Range<Int>) {
        let text = String(decoding: bytes[range], as: UTF8.self)
        let masked = Array(SessionIdentifiers.masking(text).utf8)
        guard masked.count == range.count else { return }
        for (offset, byte) in masked.enumerated() { bytes[range.lowerBound + offset] = byte }
    }
}
