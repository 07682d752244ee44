import CSwiftJKABI
import JKConfig
import JKPosix

/// The worker of a request that reached the handler without a JkMount (`SetHandler
/// jakarta-servlet`, mod_rewrite's `H=`), in mod_jk's order: the environment variable named by
/// `JkWorkerIndicator` (default `JK_WORKER_NAME`; `worker;ext=value;…` carries mount-rule
/// extensions, as in mod_jk), then the only worker of worker.list, then the server's mounts for
/// the URI, then the first worker.
enum HandlerWorker {
    /// The worker's name, and the rule extensions the indicator variable carried.
    static func name(
        _ v: sjk_request_view, runtime: Runtime, server: ServerContext, serverIndex: Int, log: JKLog
    ) -> (String?, MountExtensions?) {
        if let noted = v.worker_name { return (String(cString: noted), nil) }
        let indicator = server.settings.indicators.worker
        if let named = RequestEnvironment(v)[indicator], !named.isEmpty {
            let parts = named.split(separator: ";", omittingEmptySubsequences: true)
            let name = String(parts.first ?? "").trimmingCharacters(in: " ")
            var extensions: MountExtensions?
            if parts.count > 1 {
                var parsed = MountExtensions()
                for part in parts.dropFirst() {
                    for problem in MountRuleParser.parseExtension(String(part), into: &parsed, location: nil) {
                        log.warn("\(indicator)='\(named)': \(problem.message); the extension is ignored")
                    }
                }
                extensions = parsed
            }
            log.debug("worker '\(name)' from the environment variable \(indicator)")
            return (name, extensions)
        }
        return (fallbackName(v, runtime: runtime, serverIndex: serverIndex, log: log), nil)
    }

    static func fallbackName(_ v: sjk_request_view, runtime: Runtime, serverIndex: Int, log: JKLog) -> String? {
        let list = runtime.configuration.jk.workers.list
        if list.count == 1 { return list.first }
        if let uri = v.uri, let mounts = runtime.mounts.table(forServer: serverIndex, now: SystemClock.now(), log: log),
            case .success(let normalized) = URINormalizer.normalize(String(cString: uri)),
            let rule = mounts.table.matchIndex(normalized)
        {
            return mounts.table.rules[rule].worker
        }
        if let first = list.first {
            log.debug("no worker named for \((v.uri.map { String(cString: $0) } ?? "")): using the first of worker.list, '\(first)' (as mod_jk)")
        }
        return list.first
    }
}
