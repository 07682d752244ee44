import JKBalancer
import JKConfig
import JKCore

/// The info-level start-up summary in the jk log: workers, members and routes, the mounts of
/// every server, and the defaults that differ from mod_jk's — what an operator needs to check
/// a configuration without reading it.
enum StartupReport {
    static func write(_ configuration: Configuration) {
        let log = configuration.mainLog
        let startup = configuration.startup
        log.info("SwiftJK \(SwiftJKVersion.current) starting: MPM \(startup.mpmName), \(startup.threadsPerChild) threads per child, \(configuration.plans.count) workers, shared memory \(configuration.shared?.region.path ?? "none")")
        // Warnings first and at their own level: a jk log at warn or error still shows them.
        if let main = configuration.jk.servers.first, main.logFile == nil {
            log.warn("no JkLogFile: this log is \(configuration.startup.resolve(configuration.logFile(of: main))) (mod_jk's default there)")
        }
        for diagnostic in configuration.diagnostics where diagnostic.severity != .error {
            log.log(diagnostic.severity == .warning ? .warn : .info, "config: \(diagnostic.description)")
        }
        guard log.enabled(.info) else { return }
        for plan in configuration.plans {
            switch plan {
            case .ajp(let ajp):
                var line = "worker \(ajp.name): ajp13 \(ajp.endpoint), pool \(ajp.effective.connectionPoolSize) per child, ping_mode \(ajp.effective.pingMode), secret \(ajp.settings.secret == nil ? "none" : "set")"
                if !ajp.effective.swiftJKDefaultsApplied.isEmpty {
                    line += "; SwiftJK defaults (mod_jk has none): \(ajp.effective.swiftJKDefaultsApplied.joined(separator: " "))"
                }
                log.info(line)
            case .lb(let lb):
                let members = lb.balancer.members.map { "\($0.name)(route \($0.route), lbfactor \($0.lbFactor)\($0.activation == .active ? "" : ", \($0.activation.code)"))" }
                log.info("worker \(lb.name): lb over \(members.joined(separator: ", ")), method \(lb.settings.method.rawValue), sticky_session \(lb.settings.stickySession), sticky_session_force \(lb.settings.stickySessionForce)")
            case .status(let status):
                log.info("worker \(status.name): status")
            }
        }
        log.info(notesLine(configuration.startup))
        for server in configuration.jk.servers {
            let rules = server.mounts.rules.map(\.display)
            log.info("mounts of \(server.label): \(rules.isEmpty ? "none" : rules.joined(separator: " "))")
        }
    }

    /// Which JK_* notes requests get, and why (a LogFormat that names them turns them on).
    static func notesLine(_ startup: StartupInput) -> String {
        func group(_ notes: RequestNotes, _ label: String) -> String {
            guard startup.requestNotes.contains(notes) else {
                return "\(label) not set (no directive names them)"
            }
            guard let (_, line) = startup.requestNoteMentions.first(where: { $0.0 == notes }) else { return "\(label) set" }
            return "\(label) set (\(line.directive) at \(line.location.map { "\($0)" } ?? "?"))"
        }
        return "notes: JK_WORKER_NAME set; " + group(.worker, "JK_WORKER_TYPE/ROUTE, JK_REQUEST_DURATION") + "; "
            + group(.lb, "JK_LB_FIRST_*/JK_LB_LAST_*")
    }
}
