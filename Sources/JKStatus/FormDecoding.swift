/// `application/x-www-form-urlencoded` as browsers and scripts send it: the query string of a
/// GET or the body of a POST. `+` is a space and `%XX` a byte; a malformed escape is kept as it
/// is (mod_jk's `jk_unescape_url` is just as lenient), never a trap.
public enum FormDecoding {
    /// The pairs of a query string or form body, as mod_jk 1.2.48 reads them: a piece without
    /// `=` or with an empty name is ignored; values are %-decoded and then `<`, `>`, `?` and `"`
    /// become `@` (mod_jk's guard against markup in its pages). A malformed escape is nil
    /// ("Error during parsing of URI").
    public static func pairs(_ text: some StringProtocol) -> [(name: String, value: String)]? {
        var result: [(name: String, value: String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex else { continue }
            guard let name = decode(part[..<equals]), let value = decode(part[part.index(after: equals)...]) else { return nil }
            result.append((name, mask(value)))
        }
        return result
    }

    /// `%XX` and `+` decoded; nil for a `%` not followed by two hex digits.
    public static func decode(_ text: some StringProtocol) -> String? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else { return nil }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func mask(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "\"") }) else {
            return value
        }
        return String(value.map { "<>?\"".contains($0) ? "@" : $0 })
    }

    /// Percent-encodes everything but unreserved characters (for links the page writes).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 15)]))
            }
        }
        return out
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
