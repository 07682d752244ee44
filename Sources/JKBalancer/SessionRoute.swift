/// Where a request's session id (and so its sticky route) comes from, as mod_jk's
/// `get_sessionid` finds it: `JK_ROUTE`, then the `;jsessionid=` path parameter, then every
/// `JSESSIONID` cookie.
public struct SessionIdentifiers: Equatable, Sendable {
    public enum Source: String, Sendable {
        case jkRoute = "JK_ROUTE"
        case pathParameter = "path"
        case cookie = "cookie"
    }

    /// The candidate ids in order; each one's route is the text after its first `.`.
    public var ids: [Substring]
    public var source: Source

    public init(ids: [Substring], source: Source) {
        self.ids = ids
        self.source = source
    }

    /// The route of a session id: the part after the **first** `.` (mod_jk, mod_proxy and
    /// Tomcat's JvmRouteBinderValve all use the first dot).
    public static func route(of id: Substring) -> Substring? {
        // Byte search: Character iteration would run grapheme breaking on every id.
        guard let dot = id.utf8.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        return id[id.utf8.index(after: dot)...]
    }

    public var routes: [Substring] { ids.compactMap(Self.route(of:)) }
}

public enum SessionRouteExtractor {
    /// Finds the session ids of a request.
    ///
    /// - `uri`: the URI as received (path parameters intact).
    /// - `cookieHeaders`: the values of every `Cookie` header, in order.
    /// - Returns nil when there is none, or when the id found is empty (mod_jk logs and ignores
    ///   an empty id).
    public static func extract(
        jkRoute: String?, uri: Substring, cookieHeaders: [Substring], sessionPath: String, sessionCookie: String
    ) -> SessionIdentifiers? {
        if let jkRoute, !jkRoute.isEmpty {
            return SessionIdentifiers(ids: [Substring("." + jkRoute)], source: .jkRoute)
        }
        if let value = pathParameter(in: uri, name: sessionPath), !value.isEmpty {
            return SessionIdentifiers(ids: [value], source: .pathParameter)
        }
        // An empty id (`JSESSIONID=;`, an empty path parameter) is ignored: the cookies are
        // tried next, and a request with none is balanced like a new session.
        var ids: [Substring] = []
        for header in cookieHeaders { ids.append(contentsOf: cookies(in: header, name: sessionCookie)) }
        ids.removeAll { $0.isEmpty }
        guard !ids.isEmpty else { return nil }
        return SessionIdentifiers(ids: ids, source: .cookie)
    }

    /// `get_path_param`: the first occurrence of `name` followed by `=`; the value ends at `?`
    /// or `;` (and, unlike mod_jk, at `/`: a route never contains one). Works on bytes.
    static func pathParameter(in uri: Substring, name: String) -> Substring? {
        let bytes = uri.utf8
        let needle = Array(name.utf8)
        guard !needle.isEmpty else { return nil }
        var index = bytes.startIndex
        while let found = find(needle, in: bytes, from: index) {
            let after = bytes.index(found, offsetBy: needle.count)
            if after < bytes.endIndex, bytes[after] == UInt8(ascii: "=") {
                let valueStart = bytes.index(after: after)
                let valueEnd = bytes[valueStart...].firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "/") }
                    ?? bytes.endIndex
                return uri[valueStart..<valueEnd]
            }
            index = bytes.index(after: found)
        }
        return nil
    }

    /// `get_cookie`: every cookie whose name is exactly `name` (case-sensitive), preceded by the
    /// start, `;`, `,` or a space; the value ends at `;` or `,`; surrounding quotes are removed.
    static func cookies(in header: Substring, name: String) -> [Substring] {
        let bytes = header.utf8
        let needle = Array(name.utf8)
        guard !needle.isEmpty else { return [] }
        var found: [Substring] = []
        var index = bytes.startIndex
        while let match = find(needle, in: bytes, from: index) {
            index = bytes.index(after: match)
            if match != bytes.startIndex {
                let before = bytes[bytes.index(before: match)]
                guard before == UInt8(ascii: ";") || before == UInt8(ascii: ",") || before == UInt8(ascii: " ") || before == UInt8(ascii: "\t")
                else { continue }
            }
            var cursor = bytes.index(match, offsetBy: needle.count)
            while cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: "\t") {
                cursor = bytes.index(after: cursor)
            }
            guard cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: "=") else { continue }
            let valueStart = bytes.index(after: cursor)
            guard valueStart < bytes.endIndex else { continue }
            let valueEnd = bytes[valueStart...].firstIndex { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ",") } ?? bytes.endIndex
            var value = header[valueStart..<valueEnd]
            if value.utf8.count > 1, value.utf8.first == UInt8(ascii: "\""), value.utf8.last == UInt8(ascii: "\"") {
                value = value.dropFirst().dropLast()
            }
            found.append(value)
        }
        return found
    }

    /// The first position of `needle` in `bytes` at or after `start`.
    static func find(_ needle: [UInt8], in bytes: Substring.UTF8View, from start: Substring.UTF8View.Index) -> Substring.UTF8View.Index? {
        guard let first = needle.first else { return nil }
        var index = start
        while let candidate = bytes[index...].firstIndex(of: first) {
            if bytes[candidate...].starts(with: needle) { return candidate }
            index = bytes.index(after: candidate)
        }
        return nil
    }
}

extension SessionIdentifiers {
    /// `text` (a URI, a query string or both) with the value of every `jsessionid` path
    /// parameter or query parameter replaced by `*`: a session id in a log is a credential.
    /// Case-insensitive; the value ends at `;`, `?`, `&`, `/`, `#` or the end.
    public static func masking(_ text: String, name: String = "jsessionid") -> String {
        let lowered = Array(text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 })
        let key = Array((name.lowercased() + "=").utf8)
        guard lowered.count > key.count else { return text }
        var bytes = Array(text.utf8)
        var index = 0
        var changed = false
        while index + key.count <= lowered.count {
            let before = index == 0 ? UInt8(ascii: ";") : lowered[index - 1]
            if (before == UInt8(ascii: ";") || before == UInt8(ascii: "?") || before == UInt8(ascii: "&")),
                lowered[index..<(index + key.count)].elementsEqual(key)
            {
                var end = index + key.count
                while end < bytes.count, !";?&/#".utf8.contains(bytes[end]) {
                    bytes[end] = UInt8(ascii: "*")
                    changed = true
                    end += 1
                }
                index = end
            } else {
                index += 1
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }
}
