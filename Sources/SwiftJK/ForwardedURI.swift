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
    ///
    /// The escaping works on httpd's bytes, never on a Swift string of them: a path that is not
    /// UTF-8 (Latin-1, Shift-JIS: `/a%E9b`) must reach Tomcat with its bytes, and decoding it
    /// would have replaced them with U+FFFD (`/a%EF%BF%BDb`).
    static func forwardedURIText(_ facts: RequestFacts, options: JkOptions) -> RequestText {
        guard facts.uriText.isPresent, !options.contains(.forwardURICompatUnparsed) else {
            return RequestText(forwardedURI(facts, options: options))
        }
        if options.contains(.forwardURICompat) { return facts.uriText }
        let lowercaseHex = options.contains(.forwardURIEscaped)
        let escaped: String? = facts.uriText.withBytes { bytes in
            guard let bytes, !URIEscaping.allAllowed(bytes) else { return nil }
            return URIEscaping.escape(bytes, lowercaseHex: lowercaseHex)
        }
        return escaped.map { RequestText($0) } ?? facts.uriText
    }
}

/// Percent-encoding of a decoded path for forwarding (`ForwardURIProxy`): the characters that
/// cannot appear literally in a path are encoded; `;`, `=`, `,` and the other sub-delimiters
/// stay, so `;jsessionid=` path parameters survive.
enum URIEscaping {
    static func escapePath(_ path: String, lowercaseHex: Bool = false) -> String {
        var copy = path
        return copy.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            return allAllowed(raw) ? path : escape(raw, lowercaseHex: lowercaseHex)
        }
    }

    /// Every byte that may not appear in a path as `%XX`. The result is ASCII, whatever the
    /// bytes were.
    static func escape(_ bytes: UnsafeRawBufferPointer, lowercaseHex: Bool) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        let hex = Array((lowercaseHex ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        for byte in bytes {
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
