import JKBalancer
import JKConfig
import JKPosix
import SwiftJK

/// `swiftjk check`: loads a configuration like the module does and prints what it means.
enum ConfigCheck {
    static func run(file: String, serverRoot: String?) -> Int32 {
        let readFile: ConfigurationLoader.ReadFile = { path in
            do throws(FileError) {
                return .success(try Files.readText(path))
            } catch {
                return .failure(.init(error.description))
            }
        }
        let isProperties = file.hasSuffix(".properties") || looksLikeProperties(file)
        var diagnostics: [ConfigDiagnostic] = []
        var configuration: JKConfiguration?
        var workers: WorkersConfiguration?
        if isProperties {
            switch readFile(file) {
            case .success(let text):
                let (model, problems) = WorkersConfigurationBuilder.build(text: text, file: file, environment: Files.environment())
                workers = model
                diagnostics = problems
                let (assembled, lint) = JKConfiguration.assemble(servers: [], directives: [], global: GlobalDirectives(), workers: model, mountFiles: [:])
                diagnostics += lint + ConfigurationLint.check(assembled, directives: []) + HostCheck.diagnostics(model)
            case .failure(let error):
                print("swiftjk: \(error.message)")
                return 2
            }
        } else {
            let read = HttpdConfigReader.read(
                path: file, serverRoot: serverRoot, environment: Files.environment(),
                readFile: { path in try? Files.readText(path) }, glob: Files.glob)
            diagnostics = read.diagnostics
            let root = serverRoot ?? read.serverRoot ?? directory(of: file)
            let (loaded, problems) = ConfigurationLoader.load(
                servers: read.servers, serverRoot: root, environment: Files.environment(), readFile: readFile)
            diagnostics += problems
            if let loaded { diagnostics += HostCheck.diagnostics(loaded.workers) }
            configuration = loaded
            workers = loaded?.workers
            if loaded == nil {
                // Show what can be shown even when there are errors.
                let parsed = JKConfiguration.parseDirectives(read.servers)
                if let path = parsed.global.workersFile, case .success(let text) = readFile(resolve(path, root)) {
                    workers = WorkersConfigurationBuilder.build(
                        text: text, file: resolve(path, root), extraLines: parsed.global.workerProperties, environment: Files.environment()).0
                }
            }
        }
        if let workers {
            printWorkers(workers)
            printStickyRoutes(workers)
        }
        if let configuration { printMounts(configuration) }
        printDiagnostics(diagnostics)
        return diagnostics.hasErrors ? 1 : 0
    }

    static func looksLikeProperties(_ file: String) -> Bool {
        guard let text = try? Files.readText(file) else { return false }
        let lines = TextLines.split(text)
        return lines.contains { $0.hasPrefix("worker.") }
            && !lines.contains { $0.trimmingPrefixSpaces.lowercased().hasPrefix("jk") || $0.trimmingPrefixSpaces.hasPrefix("<") }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    static func resolve(_ path: String, _ root: String) -> String {
        path.hasPrefix("/") ? path : root + "/" + path
    }

    static func printWorkers(_ workers: WorkersConfiguration) {
        print("Workers (effective, after reference= inheritance and defaults); worker.list = \(workers.list.joined(separator: ","))")
        for name in workers.order {
            guard let worker = workers.workers[name] else { continue }
            let listed = workers.list.contains(name) ? "" : " (not in worker.list: lb member or template)"
            switch worker.kind {
            case .lb(let lb):
                print("  \(name): lb\(listed)")
                var members: [String] = []
                for member in lb.members {
                    let ajp = workers.workers[member]?.ajp
                    let route = ajp?.route ?? member
                    var text = "\(member) (route \(route), lbfactor \(ajp?.lbFactor ?? 1)"
                    if let ajp, ajp.activation != .active { text += ", \(ajp.activation.code)" }
                    if let ajp, !ajp.domain.isEmpty { text += ", domain \(ajp.domain)" }
                    if let ajp, !ajp.redirect.isEmpty { text += ", redirect \(ajp.redirect)" }
                    members.append(text + ")")
                }
                print("    members: \(members.joined(separator: ", "))")
                print("    method \(lb.method.rawValue), sticky_session \(lb.stickySession), sticky_session_force \(lb.stickySessionForce), session_cookie \(lb.sessionCookie), session_path \(lb.sessionPath)")
                let escalation = lb.errorEscalationTime ?? .init(lb.recoverTime.value / 2)
                print("    retries \(lb.retries), recover_time \(lb.recoverTime), error_escalation_time \(escalation), max_reply_timeouts \(lb.maxReplyTimeouts)")
            case .ajp13(let ajp):
                print("  \(name): ajp13 \(ajp.host):\(ajp.port)\(listed)")
                let effective = ajp.effective(threadsPerChild: 25)
                print("    secret \(ajp.secret == nil ? "none" : "set"), max_packet_size \(ajp.maxPacketSize), retries \(ajp.retries), recovery_options \(ajp.recoveryOptions)")
                print("    socket_connect_timeout \(effective.socketConnectTimeout), socket_timeout \(ajp.socketTimeout), reply_timeout \(ajp.replyTimeout), ping_mode \(effective.pingMode), ping_timeout \(effective.pingTimeout), socket_keepalive \(effective.socketKeepalive)")
                print("    connection_pool_size \(ajp.connectionPoolSize.map(String.init) ?? "threads per child"), connection_pool_timeout \(effective.connectionPoolTimeout)")
                if !effective.swiftJKDefaultsApplied.isEmpty {
                    print("    SwiftJK defaults where mod_jk has none: \(effective.swiftJKDefaultsApplied.joined(separator: " "))")
                }
                if !ajp.failOnStatus.isEmpty { print("    fail_on_status \(ajp.failOnStatus.map(String.init).joined(separator: ","))") }
            case .status(let status):
                print("  \(name): status\(listed)\(status.readOnly ? " (read_only)" : "")")
            }
        }
    }

    /// What each Tomcat's jvmRoute must be: the cure for sessions that do not stick.
    static func printStickyRoutes(_ workers: WorkersConfiguration) {
        for name in workers.order {
            guard let lb = workers.workers[name]?.loadBalancer, lb.stickySession else { continue }
            print("Sticky routes of \(name): a session id ending in .<route> goes to that member, so each Tomcat's")
            print("  <Engine jvmRoute=\"…\"> must equal the route of the member that points at it:")
            for member in lb.members {
                guard let ajp = workers.workers[member]?.ajp else { continue }
                print("    \(ajp.host):\(ajp.port) must have jvmRoute=\"\(ajp.route ?? member)\"  (member \(member))")
            }
            print("  If SwiftJK logs \"jvmRoute mismatch\" for a member, the Tomcat at that address has another")
            print("  member's jvmRoute: swap the host/port of the two members (or the two jvmRoutes).")
        }
    }

    static func printMounts(_ configuration: JKConfiguration) {
        print("Mounts (per server, in precedence order: the first match wins)")
        for server in configuration.servers {
            print("  \(server.label): \(server.mounts.isEmpty ? "none" : "")")
            for (index, rule) in server.mounts.rules.enumerated() {
                let source = rule.location.map { " — \(rule.source) at \($0)" } ?? " — \(rule.source)"
                print("    \(index + 1). \(rule.display)\(source)")
            }
        }
    }

    static func printDiagnostics(_ diagnostics: [ConfigDiagnostic]) {
        let errors = diagnostics.errors.count
        let warnings = diagnostics.warnings.count
        if !diagnostics.isEmpty {
            print("Diagnostics")
            for diagnostic in diagnostics.sorted(by: { $0.severity > $1.severity }) { print("  \(diagnostic.description)") }
        }
        print("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
    }
}

extension Substring {
    var trimmingPrefixSpaces: Substring { drop { $0 == " " || $0 == "\t" } }
}
