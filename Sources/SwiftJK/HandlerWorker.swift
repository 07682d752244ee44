import CSwiftJKABI
import JKConfig

/// The worker of a request that reached the handler without a JkMount (`SetHandler
/// jakarta-servlet`, mod_rewrite's `H=`), as mod_jk 1.2.48 finds it: the environment variable
/// named by `JkWorkerIndicator` (default `JK_WORKER_NAME`; `worker;ext=value;…` carries
/// mount-rule extensions, as in mod_jk). Without one no worker is named and the handler
/// declines (httpd serves the file or answers 404), as mod_jk does: an area under `SetHandler`
/// where only some URIs are given a worker by `SetEnvIf` sends the others nowhere
/// (docs/modjk-behaviour.md §3.6).
enum HandlerWorker {
    /// The worker's name (nil: none named), and the rule extensions the indicator variable
    /// carried.
    static func name(_ v: sjk_request_view, server: ServerContext, log: JKLog) -> (String?, MountExtensions?) {
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
        if log.enabled(.debug) {
            let handler = v.directory != 0 ? "httpd/unix-directory (ForwardDirectories)" : "jakarta-servlet"
            log.debug("\(v.uri.map { String(cString: $0) } ?? ""): handler \(handler) without a worker (no JkMount, no \(indicator)); declined")
        }
        return (nil, nil)
    }
}
