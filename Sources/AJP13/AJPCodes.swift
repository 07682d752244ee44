/// The code tables of AJP13 (mod_jk `jk_ajp13.h`, Tomcat `org.apache.coyote.ajp.Constants`).

/// The first byte of a packet's payload.
public enum PacketType: UInt8, Sendable {
    /// Web server → container.
    case forwardRequest = 2
    case shutdown = 7
    case ping = 8
    case cping = 10
    /// Container → web server.
    case sendBodyChunk = 3
    case sendHeaders = 4
    case endResponse = 5
    case getBodyChunk = 6
    case cpong = 9
}

/// Packet magic: web server → container `0x1234`, container → web server `"AB"`.
public enum AJPMagic {
    public static let toContainer: (UInt8, UInt8) = (0x12, 0x34)
    public static let fromContainer: (UInt8, UInt8) = (0x41, 0x42)
}

/// Packet size limits. `max_packet_size` counts the 4-byte header.
public enum AJPPacketSize {
    public static let header = 4
    public static let defaultMax = 8192
    public static let minimumMax = 8192
    public static let maximumMax = 65536

    /// mod_jk's `jk_get_max_packet_size`: rounded up to a multiple of 1024, clamped to [8192, 65536].
    public static func normalized(_ requested: Int) -> Int {
        guard requested > 0 else { return defaultMax }
        let rounded = requested > maximumMax ? maximumMax : (requested + 1023) & ~1023
        return min(max(rounded, minimumMax), maximumMax)
    }

    /// Largest body data carried by one request body packet: header, 2-byte length.
    public static func maxRequestBodyChunk(packetSize: Int) -> Int { packetSize - header - 2 }
}

/// Request method codes (`SC_M_*`); anything else is sent as `storedMethod` plus attribute 0x0D.
public enum AJPMethod {
    public static let stored: UInt8 = 0xFF

    /// Code for an HTTP method name, or nil when it must travel as a stored method.
    /// Method names are case-sensitive in HTTP; mod_jk compares them with `strcmp`.
    public static func code(for method: some StringProtocol) -> UInt8? {
        switch method {
        case "GET": 2
        case "POST": 4
        case "HEAD": 3
        case "OPTIONS": 1
        case "PUT": 5
        case "DELETE": 6
        case "TRACE": 7
        case "PROPFIND": 8
        case "PROPPATCH": 9
        case "MKCOL": 10
        case "COPY": 11
        case "MOVE": 12
        case "LOCK": 13
        case "UNLOCK": 14
        case "ACL": 15
        case "REPORT": 16
        case "VERSION-CONTROL": 17
        case "CHECKIN": 18
        case "CHECKOUT": 19
        case "UNCHECKOUT": 20
        case "SEARCH": 21
        case "MKWORKSPACE": 22
        case "UPDATE": 23
        case "LABEL": 24
        case "MERGE": 25
        case "BASELINE-CONTROL": 26
        case "MKACTIVITY": 27
        default: nil
        }
    }

    /// The method name for a code (used by tests and the trace log).
    public static func name(for code: UInt8) -> String? {
        names.first { $0.1 == code }?.0
    }

    static let names: [(String, UInt8)] = [
        ("OPTIONS", 1), ("GET", 2), ("HEAD", 3), ("POST", 4), ("PUT", 5), ("DELETE", 6), ("TRACE", 7),
        ("PROPFIND", 8), ("PROPPATCH", 9), ("MKCOL", 10), ("COPY", 11), ("MOVE", 12), ("LOCK", 13),
        ("UNLOCK", 14), ("ACL", 15), ("REPORT", 16), ("VERSION-CONTROL", 17), ("CHECKIN", 18),
        ("CHECKOUT", 19), ("UNCHECKOUT", 20), ("SEARCH", 21), ("MKWORKSPACE", 22), ("UPDATE", 23),
        ("LABEL", 24), ("MERGE", 25), ("BASELINE-CONTROL", 26), ("MKACTIVITY", 27),
    ]
}

/// Request header codes `0xA001…0xA00E`; matched case-insensitively as in mod_jk's `sc_for_req_header`.
public enum AJPRequestHeader {
    /// The code for a header name given as raw bytes, or nil when the name travels as a string.
    public static func code(forName name: UnsafeRawBufferPointer) -> UInt16? {
        // Dispatch on length first, then compare lowercased bytes: no allocation.
        switch name.count {
        case 4: return matches(name, "host") ? 0xA00B : nil
        case 6:
            if matches(name, "accept") { return 0xA001 }
            if matches(name, "cookie") { return 0xA009 }
            if matches(name, "pragma") { return 0xA00C }
            return nil
        case 7:
            if matches(name, "cookie2") { return 0xA00A }
            if matches(name, "referer") { return 0xA00D }
            return nil
        case 10:
            if matches(name, "connection") { return 0xA006 }
            if matches(name, "user-agent") { return 0xA00E }
            return nil
        case 12: return matches(name, "content-type") ? 0xA007 : nil
        case 13: return matches(name, "authorization") ? 0xA005 : nil
        case 14:
            if matches(name, "accept-charset") { return 0xA002 }
            if matches(name, "content-length") { return 0xA008 }
            return nil
        case 15:
            if matches(name, "accept-encoding") { return 0xA003 }
            if matches(name, "accept-language") { return 0xA004 }
            return nil
        default: return nil
        }
    }

    public static func code(forName name: String) -> UInt16? {
        var name = name
        return name.withUTF8 { code(forName: UnsafeRawBufferPointer($0)) }
    }

    /// ASCII case-insensitive comparison of `bytes` with a lowercase literal of the same length.
    @inline(__always)
    public static func matches(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let literal = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if folded != literal[index] { return false }
        }
        return true
    }
}

/// Response header codes `0xA001…0xA00B` and their names as Tomcat would spell them.
public enum AJPResponseHeader {
    public static let names: [StaticString] = [
        "Content-Type", "Content-Language", "Content-Length", "Date", "Last-Modified", "Location",
        "Set-Cookie", "Set-Cookie2", "Servlet-Engine", "Status", "WWW-Authenticate",
    ]

    /// The name for a code, or nil for an unknown code (a protocol error).
    public static func name(for code: UInt16) -> StaticString? {
        guard code > 0xA000 else { return nil }
        let index = Int(code - 0xA001)
        return index < names.count ? names[index] : nil
    }
}

/// Request attribute codes (`SC_A_*`).
public enum AJPAttribute: UInt8, Sendable {
    case context = 0x01
    case servletPath = 0x02
    case remoteUser = 0x03
    case authType = 0x04
    case queryString = 0x05
    case route = 0x06
    case sslCert = 0x07
    case sslCipher = 0x08
    case sslSession = 0x09
    case requestAttribute = 0x0A
    case sslKeySize = 0x0B
    case secret = 0x0C
    case storedMethod = 0x0D
    case terminator = 0xFF
}
