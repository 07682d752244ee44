import AJP13
import JKClient

/// `JkLogLevel trace`: a summary line per AJP packet, then a hex dump of its first 1024 bytes
/// (16 per line, offset, hex, ASCII — the layout of mod_jk's dumps). The worker's secret is
/// masked before anything is formatted.
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
