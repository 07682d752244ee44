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
        guard let dot = id.firstIndex(of: ".") else { return nil }
        return id[id.index(after: dot)...]
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
        if let value = pathParameter(in: uri, name: sessionPath) {
            return value.isEmpty ? nil : SessionIdentifiers(ids: [value], source: .pathParameter)
        }
        var ids: [Substring] = []
        for header in cookieHeaders { ids.append(contentsOf: cookies(in: header, name: sessionCookie)) }
        guard !ids.isEmpty else { return nil }
        return SessionIdentifiers(ids: ids, source: .cookie)
    }

    /// `get_path_param`: the first occurrence of `name` followed by `=`; the value ends at `?`
    /// or `;` (a later path segment stays part of it, as in mod_jk, but no route contains `/`…
    /// we cut at `/` too so `/a;jsessionid=X.r/b` yields `X.r`).
    static func pathParameter(in uri: Substring, name: String) -> Substring? {
        guard !name.isEmpty else { return nil }
        var searchStart = uri.startIndex
        while let range = uri[searchStart...].firstRange(of: name) {
            let after = range.upperBound
            if after < uri.endIndex, uri[after] == "=" {
                let valueStart = uri.index(after: after)
                let valueEnd = uri[valueStart...].firstIndex(where: { $0 == "?" || $0 == ";" || $0 == "/" }) ?? uri.endIndex
                return uri[valueStart..<valueEnd]
            }
            searchStart = uri.index(after: range.lowerBound)
        }
        return nil
    }

    /// `get_cookie`: every cookie whose name is exactly `name` (case-sensitive), preceded by the
    /// start, `;`, `,` or a space; the value ends at `;` or `,`; surrounding quotes are removed.
    static func cookies(in header: Substring, name: String) -> [Substring] {
        guard !name.isEmpty else { return [] }
        var found: [Substring] = []
        var searchStart = header.startIndex
        while let range = header[searchStart...].firstRange(of: name) {
            defer { searchStart = header.index(after: range.lowerBound) }
            if range.lowerBound != header.startIndex {
                let before = header[header.index(before: range.lowerBound)]
                guard before == ";" || before == "," || before == " " || before == "\t" else { continue }
            }
            var cursor = range.upperBound
            while cursor < header.endIndex, header[cursor] == " " || header[cursor] == "\t" {
                cursor = header.index(after: cursor)
            }
            guard cursor < header.endIndex, header[cursor] == "=" else { continue }
            let valueStart = header.index(after: cursor)
            guard valueStart < header.endIndex else { continue }
            let valueEnd = header[valueStart...].firstIndex(where: { $0 == ";" || $0 == "," }) ?? header.endIndex
            var value = header[valueStart..<valueEnd]
            if value.count > 1, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            found.append(value)
        }
        return found
    }
}
