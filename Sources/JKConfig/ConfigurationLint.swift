/// Warnings about the classic traps of mod_jk configurations — legal, but almost always not
/// what was meant (docs/modjk-behaviour.md §10).
public enum ConfigurationLint {
    public static func check(_ configuration: JKConfiguration, directives: [ServerDirectives]) -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        let workers = configuration.workers
        // A virtual host without mounts while the main server has some: JkMountCopy is Off.
        if let main = configuration.servers.first, !main.mounts.isEmpty {
            for server in configuration.servers.dropFirst() where server.mounts.isEmpty {
                let location = server.location
                diagnostics.append(
                    .warning("\(server.label) has no JkMount while the main server has \(main.mounts.rules.count): nothing is forwarded there; add 'JkMountCopy On' in it (or 'JkMountCopy All' in the main server)", at: location))
            }
            // A virtual host with its own JkMountFile but without JkMountCopy: only its file's
            // rules apply there, none of the main server's.
            for (index, server) in configuration.servers.enumerated().dropFirst()
            where !server.mounts.isEmpty && server.mountCopy == .off && index < directives.count && directives[index].mountFile != nil {
                diagnostics.append(
                    .warning("\(server.label) has its own JkMountFile but JkMountCopy is Off: the main server's \(main.mounts.rules.count) mount(s) do not apply there; add 'JkMountCopy On' in it if they should", at: directives[index].mountFileLocation ?? server.location))
            }
        }
        // One warning for all ajp13 workers without a secret (real files have many), at the
        // first of them.
        let secretless = workers.order.filter { workers.workers[$0]?.ajp.map { $0.secret == nil } ?? false }
        if let first = secretless.first {
            let names = secretless.map { "'\($0)'" }.joined(separator: ", ")
            let which = secretless.count == 1 ? "ajp13 worker \(names) has" : "ajp13 workers \(names) have"
            let key = secretless.count == 1 ? "worker.\(first).secret" : "worker.<name>.secret"
            diagnostics.append(
                .warning("\(which) no secret: Tomcat 9.0.31+ refuses AJP without one unless its connector sets secretRequired=\"false\" (set \(key) to the connector's secret)", at: workers.workers[first]?.location))
        }
        for name in workers.order {
            guard let worker = workers.workers[name] else { continue }
            switch worker.kind {
            case .ajp13:
                break
            case .lb(let lb):
                var routes: [String] = []
                for member in lb.members {
                    guard let ajp = workers.workers[member]?.ajp else { continue }
                    let route = ajp.route ?? member
                    routes.append(member == route ? member : "\(member)→\(route)")
                    if !plausibleJvmRoute(route) {
                        diagnostics.append(
                            .warning("lb '\(name)': member '\(member)' has route '\(route)', which is not a plausible jvmRoute (use letters, digits, '_' and '-'; a '.' makes the part before it a domain)", at: workers.workers[member]?.location))
                    }
                }
                if lb.members.contains(where: { member in workers.workers[member]?.ajp?.route.map { $0 != member } ?? false }) {
                    diagnostics.append(
                        .info("lb '\(name)' sticky routes (member→jvmRoute): \(routes.joined(separator: ", ")); each Tomcat's <Engine jvmRoute> must equal its route", at: worker.location))
                }
            case .status:
                break
            }
        }
        var envVarsSeen = Set<String>()
        for server in directives {
            for variable in server.envVars where envVarsSeen.insert(variable.name).inserted {
                diagnostics.append(
                    .warning("JkEnvVar \(variable.name): Tomcat answers 403 to requests carrying unknown attributes unless its AJP connector's allowedRequestAttributesPattern matches '\(variable.name)'", at: variable.location))
            }
        }
        return diagnostics
    }

    /// Tomcat's jvmRoute is free text, but mod_jk reads the part after the session id's first
    /// `.` as the route and a `.` inside a route as "domain.route".
    static func plausibleJvmRoute(_ route: String) -> Bool {
        !route.isEmpty && route.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
