import CSwiftJKABI
import Glibc
import JKConfig
import JKCore
import JKPosix

/// translate_name: does this URI go to a worker?
///
/// The URI is normalised as mod_jk does before matching (path parameters removed, `//`, `/./`,
/// `/../` resolved); climbing above the root is refused with 400.
enum Translate {
    /// mod_jk's JK_MAX_URI_LEN.
    static let maxURILength = 4095

    /// A mapped URI's normalised form replaces r->uri, as in mod_jk: httpd's `<Location>`
    /// sections and `%U` then see the path Tomcat serves, so `/admin.jsp;x=1` cannot slip past
    /// `<Location /admin.jsp>`. Tomcat is still sent the URI as the client wrote it (the shim
    /// keeps it for the handler).
    private static func useNormalized(_ normalized: String?, _ v: sjk_translate_view) {
        guard let normalized, let setURI = v.host?.pointee.set_uri else { return }
        normalized.withCString { setURI(v.r, $0) }
    }

    static func map(
        _ view: UnsafePointer<sjk_translate_view>, runtime: Runtime, workerIndex: UnsafeMutablePointer<Int32>?,
        ruleIndex: UnsafeMutablePointer<Int32>?
    ) -> Int32 {
        let v = view.pointee
        let serverIndex = Int(v.server_index)
        let configuration = runtime.configuration
        guard let uriPointer = v.uri, serverIndex >= 0, serverIndex < configuration.jk.servers.count else {
            return Int32(SJK_DECLINED)
        }
        let log = configuration.log(forServer: serverIndex)
        guard let mounts = runtime.mounts.table(forServer: serverIndex, now: SystemClock.now(), log: log), !mounts.table.isEmpty else {
            if log.enabled(.debug) { log.debug("'\(String(cString: uriPointer))': \(configuration.servers[serverIndex].settings.label) has no JkMount; left to httpd") }
            return refuseEscapingRoot(uriPointer, log: log, id: { idSuffix(v, configuration.servers[serverIndex]) })
                ?? Int32(SJK_DECLINED)
        }
        let environment = RequestEnvironment(v)
        if environment["no-jk"] != nil {
            if log.enabled(.debug) { log.debug("'\(String(cString: uriPointer))': no-jk is set; left to httpd") }
            return Int32(SJK_DECLINED)
        }
        if v.directory_index_lookup != 0, let alias = configuration.servers[serverIndex].settings.autoAlias {
            // mod_jk's special case: with JkAutoAlias, mod_dir's look-up of an index file that is
            // not in the webapp directory is not mapped, so httpd can list the directory rather
            // than hand it to Tomcat (a mapped look-up gives the directory to its worker).
            let uri = String(cString: uriPointer)
            if case .success(let clean) = URINormalizer.normalize(uri),
                !Files.exists((alias.hasSuffix("/") ? String(alias.dropLast()) : alias) + clean)
            {
                if log.enabled(.debug) { log.debug("JkAutoAlias: no DirectoryIndex file for '\(uri)' in \(alias); left to httpd") }
                return Int32(SJK_DECLINED)
            }
        }
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(uriPointer).assumingMemoryBound(to: UInt8.self), count: strlen(uriPointer))
        guard bytes.count <= maxURILength else {
            log.warn("URI of \(bytes.count) bytes is longer than \(maxURILength): not mapped")
            return Int32(SJK_DECLINED)
        }
        if configuration.servers[serverIndex].options.contains(.rejectUnsafeURI),
            bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "\\") })
        {
            log.info("potentially unsafe request URI '\(String(cString: uriPointer))' rejected (JkOptions +RejectUnsafeURI): not forwarded")
            return Int32(SJK_DECLINED)
        }
        // Most URIs need no normalisation: match httpd's bytes directly, no String made.
        let matched: Int?
        var normalizedURI: String?
        if bytes.first == UInt8(ascii: "/") && !URINormalizer.needsWork(bytes) {
            matched = mounts.table.matchIndex(bytes: bytes)
        } else {
            let uri = String(cString: uriPointer)
            switch URINormalizer.normalize(uri) {
            case .success(let normalized):
                matched = mounts.table.matchIndex(normalized)
                if normalized != uri { normalizedURI = normalized }
            case .failure(.escapesRoot):
                log.error("URI '\(uri)' climbs above the root with '..' → 400\(idSuffix(v, configuration.servers[serverIndex]))")
                return 400
            case .failure(.notAbsolute):
                return Int32(SJK_DECLINED)
            }
        }
        guard let rule = matched, rule < mounts.targets.count else {
            // "Why does my URL not reach Tomcat?": the answer at debug, as mod_jk gives it.
            if log.enabled(.debug) { log.debug("'\(String(cString: uriPointer))': no JkMount forwards it (none matches, or a JkUnMount excludes it); left to httpd") }
            return Unmapped.handle(view, server: configuration.servers[serverIndex].settings, log: log)
        }
        let index = mounts.targets[rule]
        guard index >= 0 else {
            // As mod_jk: the URI is mapped to the named worker, and the handler answers 500
            // for a worker that does not exist (a worker not in worker.list gets its 500 there
            // too).
            if let setNote = v.host?.pointee.set_note {
                mounts.table.rules[rule].worker.withCString { name in setNote(v.r, "JK_WORKER_NAME", name) }
            }
            workerIndex?.pointee = -1
            ruleIndex?.pointee = -1
            useNormalized(normalizedURI, v)
            return Int32(SJK_MAPPED)
        }
        workerIndex?.pointee = Int32(index)
        ruleIndex?.pointee = Int32(rule)
        if let setNote = v.host?.pointee.set_note {
            configuration.plans[index].name.withCString { name in setNote(v.r, "JK_WORKER_NAME", name) }
        }
        useNormalized(normalizedURI, v)
        return Int32(SJK_MAPPED)
    }

    /// A server without mounts still refuses a URI that climbs above the root behind a path
    /// parameter (`/..;/x`, which httpd's own normalisation leaves alone): mod_jk normalises
    /// every request it sees, mapped or not, and answers 400.
    static func refuseEscapingRoot(_ uriPointer: UnsafePointer<CChar>, log: JKLog, id: () -> String) -> Int32? {
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(uriPointer).assumingMemoryBound(to: UInt8.self), count: strlen(uriPointer))
        guard bytes.first == UInt8(ascii: "/"), URINormalizer.needsWork(bytes) else { return nil }
        let uri = String(cString: uriPointer)
        guard case .failure(.escapesRoot) = URINormalizer.normalize(uri) else { return nil }
        log.error("URI '\(uri)' climbs above the root with '..' → 400\(id())")
        return 400
    }

    /// ` [id=…]` with the request id (`JkRequestIdIndicator`, default mod_unique_id's), or "".
    static func idSuffix(_ v: sjk_translate_view, _ server: ServerContext) -> String {
        guard let id = RequestEnvironment(v)[server.settings.indicators.requestID] else { return "" }
        return " [id=\(id)]"
    }
}
