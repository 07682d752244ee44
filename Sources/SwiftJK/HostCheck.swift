import JKConfig
import JKPosix

/// Hosts that do not resolve, found when the configuration is read (`apache2 -t`, start-up and
/// `swiftjk check` alike): mod_jk disables such a worker at start with a line in its log;
/// SwiftJK says so with file:line before httpd runs. Numeric addresses are not looked up.
public enum HostCheck {
    public static func diagnostics(_ workers: WorkersConfiguration) -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        var checked: [String: String?] = [:]
        for name in workers.order {
            guard let ajp = workers.workers[name]?.ajp, ajp.port > 0 else { continue }
            let host = ajp.host
            if checked[host] == nil {
                do {
                    _ = try SocketAddress.resolve(host: host, port: ajp.port, preferIPv6: ajp.preferIPv6)
                    checked[host] = .some(nil)
                } catch {
                    checked[host] = .some(error.description)
                }
            }
            if case .some(.some(let reason)) = checked[host] {
                diagnostics.append(
                    .warning("worker '\(name)': host '\(host)' does not resolve (\(reason)): the worker fails every request until it does (mod_jk disables it at start)", at: ajp.hostLocation ?? workers.workers[name]?.location))
            }
        }
        return diagnostics
    }
}
