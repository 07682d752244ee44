import CSwiftJKABI
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

    static func map(_ view: UnsafePointer<sjk_translate_view>, runtime: Runtime, workerIndex: UnsafeMutablePointer<Int32>?) -> Int32 {
        let v = view.pointee
        let serverIndex = Int(v.server_index)
        let configuration = runtime.configuration
        guard let uriPointer = v.uri, serverIndex >= 0, serverIndex < configuration.jk.servers.count else {
            return Int32(SJK_DECLINED)
        }
        let log = configuration.log(forServer: serverIndex)
        guard let table = runtime.mounts.table(forServer: serverIndex, now: SystemClock.now(), log: log), !table.isEmpty else {
            return Int32(SJK_DECLINED)
        }
        let host = v.host
        func env(_ name: String) -> String? {
            guard let getEnv = host?.pointee.get_env else { return nil }
            return name.withCString { getEnv(v.r, $0) }.map { String(cString: $0) }
        }
        if env("no-jk") != nil { return Int32(SJK_DECLINED) }
        let uri = String(cString: uriPointer)
        guard uri.utf8.count <= maxURILength else {
            log.warn("URI of \(uri.utf8.count) bytes is longer than \(maxURILength): not mapped")
            return Int32(SJK_DECLINED)
        }
        let server = configuration.servers[serverIndex].settings
        if server.options.contains(.rejectUnsafeURI), uri.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "\\") }) {
            log.info("potentially unsafe request URI '\(uri)' rejected (JkOptions +RejectUnsafeURI): not forwarded")
            return Int32(SJK_DECLINED)
        }
        let normalized: String
        switch URINormalizer.normalize(uri) {
        case .success(let value): normalized = value
        case .failure(.escapesRoot):
            log.error("URI '\(uri)' climbs above the root with '..' → 400")
            return 400
        case .failure(.notAbsolute):
            return Int32(SJK_DECLINED)
        }
        guard let rule = table.match(normalized) else { return Int32(SJK_DECLINED) }
        guard let index = configuration.planIndex[rule.worker] else {
            log.debug("\(String(cString: uriPointer)) matches '\(rule.display)', but worker '\(rule.worker)' is not defined: not forwarded")
            return Int32(SJK_DECLINED)
        }
        workerIndex?.pointee = Int32(index)
        if let setNote = host?.pointee.set_note {
            rule.worker.withCString { name in "JK_WORKER_NAME".withCString { setNote(v.r, $0, name) } }
        }
        return Int32(SJK_MAPPED)
    }
}
