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
    /// Tomcat's JvmRouteBinderValve all use the first dot). Nothing after the dot (a client's
    /// `JSESSIONID=.`) is no route: such a request is balanced like a new session, and is not
    /// reported as a jvmRoute that matches no member.
    public static func route(of id: Substring) -> Substring? {
        // Over the bytes in place: Character iteration would run grapheme breaking on every id,
        // and `utf8.firstIndex(of:)` cost ~125 instructions a byte (UTF8Bytes). The route is
        // made a string of its own: a jvmRoute fits a small string (15 bytes, no allocation),
        // and slicing `id` by UTF-8 offsets cost ~400 instructions (index arithmetic and scalar
        // alignment checks on `Substring`).
        UTF8Bytes.with(id) { bytes -> Substring? in
            guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot + 1 < bytes.count else { return nil }
            return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[(dot + 1)...]), as: UTF8.self))
        }
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
        extract(jkRoute: jkRoute, uri: uri, sessionPath: sessionPath, sessionCookie: sessionCookie) { visit in
            for header in cookieHeaders { UTF8Bytes.with(header, visit) }
        }
    }

    /// The same, with the `Cookie` headers given as their bytes (`forEachCookieHeader` calls its
    /// argument once per header, in order): the request path reads httpd's own bytes, so a
    /// long Cookie header (analytics cookies run to kilobytes) is searched in place, never
    /// decoded as a whole; only the ids found become strings.
    public static func extract(
        jkRoute: String?, uri: Substring, sessionPath: String, sessionCookie: String,
        forEachCookieHeader: ((UnsafeBufferPointer<UInt8>) -> Void) -> Void
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
        var name = sessionCookie
        name.withUTF8 { needle in
            forEachCookieHeader { header in cookies(in: header, name: needle, into: &ids) }
        }
        guard !ids.isEmpty else { return nil }
        return SessionIdentifiers(ids: ids, source: .cookie)
    }

    /// `get_path_param`: the first occurrence of `name` followed by `=`; the value ends at `?`
    /// or `;` (and, unlike mod_jk, at `/`: a route never contains one). Works on the bytes in
    /// place: this runs on every lb request, and a walk over `Substring.UTF8View` indices with
    /// an `Array` needle cost ~1,000 instructions and an allocation (docs/architecture.md §5.1).
    static func pathParameter(in uri: Substring, name: String) -> Substring? {
        var name = name
        let range: Range<Int>? = name.withUTF8 { needle in
            UTF8Bytes.with(uri) { bytes -> Range<Int>? in
                var index = 0
                while let found = find(needle, in: bytes, from: index) {
                    let after = found + needle.count
                    if after < bytes.count, bytes[after] == UInt8(ascii: "=") {
                        var end = after + 1
                        while end < bytes.count, bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: ";"),
                            bytes[end] != UInt8(ascii: "/")
                        {
                            end += 1
                        }
                        return (after + 1)..<end
                    }
                    index = found + 1
                }
                return nil
            }
        }
        return range.map { UTF8Bytes.slice(uri, $0) }
    }

    /// `get_cookie`: every cookie whose name is exactly `name` (case-sensitive), preceded by the
    /// start, `;`, `,` or a space; the value ends at `;` or `,`; surrounding quotes are removed.
    /// Non-empty values are appended to `ids` (an empty id is ignored, as mod_jk does).
    static func cookies(in bytes: UnsafeBufferPointer<UInt8>, name needle: UnsafeBufferPointer<UInt8>, into ids: inout [Substring]) {
        var index = 0
        while let match = find(needle, in: bytes, from: index) {
            index = match + 1
            if match > 0 {
                let before = bytes[match - 1]
                guard before == UInt8(ascii: ";") || before == UInt8(ascii: ",") || before == UInt8(ascii: " ")
                    || before == UInt8(ascii: "\t")
                else { continue }
            }
            var cursor = match + needle.count
            while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: "\t") {
                cursor += 1
            }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "=") else { continue }
            var start = cursor + 1
            guard start < bytes.count else { continue }
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ";"), bytes[end] != UInt8(ascii: ",") { end += 1 }
            if end - start > 1, bytes[start] == UInt8(ascii: "\""), bytes[end - 1] == UInt8(ascii: "\"") {
                start += 1
                end -= 1
            }
            guard end > start else { continue }
            ids.append(Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)))
        }
    }

    /// The first offset of `needle` in `bytes` at or after `start`.
    static func find(_ needle: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first, needle.count <= bytes.count, start >= 0 else { return nil }
        let last = bytes.count - needle.count
        var index = start
        while index <= last {
            if bytes[index] == first {
                var matched = 1
                while matched < needle.count, bytes[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
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
