import AJP13
import JKConfig

extension ForwardRequest {
    /// The request URI as forwarded, by `JkOptions ForwardURI*`.
    static func forwardedURI(_ facts: RequestFacts, options: JkOptions) -> String {
        if options.contains(.forwardURICompatUnparsed) {
            // The original request line's path, untouched.
            return String(facts.unparsedPath)
        }
        if options.contains(.forwardURICompat) { return facts.uri }
        // ForwardURIEscaped: httpd's ap_escape_uri, which writes lowercase hex digits.
        if options.contains(.forwardURIEscaped) { return URIEscaping.escapePath(facts.uri, lowercaseHex: true) }
        // ForwardURIProxy (default): re-encode the decoded URI.
        return URIEscaping.escapePath(facts.uri)
    }

    /// `forwardedURI` as request text: httpd's own bytes when nothing in them needs escaping
    /// (almost every request), so no string is made for the URI.
    static func forwardedURIText(_ facts: RequestFacts, options: JkOptions) -> RequestText {
        guard facts.uriText.isPresent, !options.contains(.forwardURICompatUnparsed) else {
            return RequestText(forwardedURI(facts, options: options))
        }
        if options.contains(.forwardURICompat) { return facts.uriText }
        let clean = facts.uriText.withBytes { bytes in bytes.map { URIEscaping.allAllowed($0) } ?? false }
        return clean ? facts.uriText : RequestText(forwardedURI(facts, options: options))
    }
}

/// Percent-encoding of a decoded path for forwarding (`ForwardURIProxy`): the characters that
/// cannot appear literally in a path are encoded; `;`, `=`, `,` and the other sub-delimiters
/// stay, so `;jsessionid=` path parameters survive.
enum URIEscaping {
    static func escapePath(_ path: String, lowercaseHex: Bool = false) -> String {
        var copy = path
        guard !copy.withUTF8({ allAllowed(UnsafeRawBufferPointer($0)) }) else { return path }
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

    /// True when no byte needs escaping.
    static func allAllowed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where !isAllowed(byte) { return false }
        return true
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
