import CSwiftJKABI
import JKConfig
import JKPosix

/// What happens to a URI that no mount rule forwards: `JkStripSession` removes a session path
/// parameter so httpd can serve the file, `JkAutoAlias` maps webapp directories into the URL
/// space (and refuses their WEB-INF and META-INF).
enum Unmapped {
    static func handle(_ view: UnsafePointer<sjk_translate_view>, server: ServerSettings, log: JKLog) -> Int32 {
        guard server.stripSession?.enabled == true || server.autoAlias != nil else { return Int32(SJK_DECLINED) }
        let v = view.pointee
        guard let uriPointer = v.uri, let host = v.host else { return Int32(SJK_DECLINED) }
        var uri = String(cString: uriPointer)
        if let strip = server.stripSession, strip.enabled, let stripped = stripSessionParameter(uri, name: strip.name) {
            log.debug("JkStripSession: '\(uri)' served as '\(stripped)'")
            uri = stripped
            if let setURI = host.pointee.set_uri { stripped.withCString { setURI(v.r, $0) } }
        }
        guard let directory = server.autoAlias else { return Int32(SJK_DECLINED) }
        switch autoAlias(uri, directory: directory) {
        case .none:
            return Int32(SJK_DECLINED)
        case .hidden:
            log.debug("JkAutoAlias: '\(uri)' is inside WEB-INF or META-INF → 404")
            return 404
        case .warFile:
            log.debug("JkAutoAlias: '\(uri)' names a .war file → 403")
            return 403
        case .file(let path):
            if let setFilename = host.pointee.set_filename { path.withCString { setFilename(v.r, $0) } }
            return Int32(SJK_ALIASED)
        }
    }

    /// Removes `name=value` (the value ends at `;`, `/`, `?` or the end) from a path, or nil when
    /// it is not there. `name` includes the leading `;` (default `;jsessionid`).
    static func stripSessionParameter(_ uri: String, name: String) -> String? {
        guard let range = uri.firstRange(of: name + "=") else { return nil }
        let rest = uri[range.upperBound...]
        let end = rest.firstIndex(where: { $0 == ";" || $0 == "/" || $0 == "?" }) ?? uri.endIndex
        return String(uri[..<range.lowerBound]) + String(uri[end...])
    }

    enum AliasResult: Equatable {
        case none
        /// WEB-INF or META-INF of a webapp: 404, as mod_jk.
        case hidden
        /// A web archive at the top of the directory (`/app.war`): 403, as mod_jk.
        case warFile
        case file(String)
    }

    /// `/ctx/rest` → `<directory>/ctx/rest` when `<directory>/ctx` is a webapp; WEB-INF and
    /// META-INF of a webapp and the `.war` files beside the webapps are never served.
    static func autoAlias(_ uri: String, directory: String) -> AliasResult {
        let parts = uri.split(separator: "/", omittingEmptySubsequences: true)
        guard let context = parts.first else { return .none }
        if parts.count > 1 {
            let inner = parts[1].uppercased()
            if inner == "WEB-INF" || inner == "META-INF" { return .hidden }
        }
        if context.utf8.count > 4, context.lowercased().hasSuffix(".war") { return .warFile }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        guard Paths.isDirectory("\(base)/\(context)") else { return .none }
        return .file(base + uri)
    }
}
