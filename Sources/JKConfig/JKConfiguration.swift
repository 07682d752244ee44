import JKCore

/// One server's effective settings after mod_jk's inheritance rules.
public struct ServerSettings: Sendable {
    public var label: String
    public var isVirtual: Bool
    /// Where the `<VirtualHost>` starts (nil for the main server).
    public var location: SourceLocation?
    public var mounts: MountTable
    /// `JkMountFile` in effect (resolved path) and its reload interval in seconds (0 = never).
    public var mountFile: String?
    public var mountFileReload: Int
    public var mountCopy: MountCopy
    public var autoAlias: String?
    public var logFile: String?
    /// Where that `JkLogFile` was written (nil for the default).
    public var logFileLocation: SourceLocation?
    public var logLevel: LogLevel
    public var logStampFormat: String
    public var requestLogFormat: String?
    public var options: JkOptions
    public var envVars: [EnvVarForward]
    public var stripSession: ServerDirectives.StripSession?
    public var extractSSL: Bool
    public var indicators: Indicators
    /// The server's ServerName (status worker "Map:" lines); "" when httpd gave none.
    public var name: String = ""
}

/// The whole SwiftJK configuration of one httpd: global settings, each server's effective
/// settings, and the workers.
public struct JKConfiguration: Sendable {
    public var global: GlobalDirectives
    public var servers: [ServerSettings]
    public var workers: WorkersConfiguration
    /// Mount rules that came from `worker.X.mount`.
    public var workerMounts: [MountRule]

    /// mod_jk's default `JkLogStampFormat` where gettimeofday exists.
    public static let defaultStampFormat = "[%a %b %d %H:%M:%S.%Q %Y] "
    /// mod_jk's default `JkMountFileReload`.
    public static let defaultMountFileReload = 60

    /// Stage 1: the directives of every server. The shell then reads the files they name.
    public static func parseDirectives(
        _ servers: [RawServer]
    ) -> (directives: [ServerDirectives], global: GlobalDirectives, diagnostics: [ConfigDiagnostic]) {
        var all: [ServerDirectives] = []
        var global = GlobalDirectives()
        var diagnostics: [ConfigDiagnostic] = []
        for (index, server) in servers.enumerated() {
            let parsed = DirectiveParser.parse(server, isMain: index == 0)
            all.append(parsed.server)
            if index == 0 { global = parsed.global }
            diagnostics += parsed.diagnostics
        }
        return (all, global, diagnostics)
    }

    /// Stage 2: everything together. `mountFiles` maps each `JkMountFile` path (as written) to
    /// its text, or nil when it could not be read (the shell reported that). `resolvePath` turns
    /// a path as written into the one diagnostics name (relative to ServerRoot).
    public static func assemble(
        servers: [RawServer], directives: [ServerDirectives], global: GlobalDirectives,
        workers: WorkersConfiguration, mountFiles: [String: String], resolvePath: (String) -> String = { $0 }
    ) -> (JKConfiguration, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        let workerMounts = workerMountRules(workers, diagnostics: &diagnostics)
        var settings: [ServerSettings] = []
        guard let main = directives.first else {
            return (JKConfiguration(global: global, servers: [], workers: workers, workerMounts: workerMounts), diagnostics)
        }
        // A mount file shared by several servers (JkMountCopy) is read and reported once.
        var parsedMountFiles: [String: [MountRule]] = [:]
        for (index, own) in directives.enumerated() {
            let server = servers[index]
            let isMain = index == 0
            let copy: MountCopy = isMain ? .off : (own.mountCopy ?? (main.mountCopy == .all ? .on : .off))
            let inherit = !isMain && (copy == .on || copy == .all)
            var rules = own.mounts
            // worker.X.mount belongs to the main server only (mod_jk does not copy it to vhosts).
            if isMain { rules += workerMounts }
            if inherit {
                // A pattern the virtual host mounts itself is not overridden by the copy.
                let own = Set(rules.map { "\($0.isExclusion)\u{0}\($0.pattern)" })
                rules += main.mounts.filter { !own.contains("\($0.isExclusion)\u{0}\($0.pattern)") }
            }
            let mountFile = own.mountFile ?? (inherit ? main.mountFile : nil)
            if let mountFile, let parsed = parsedMountFiles[mountFile] {
                rules += parsed
            } else if let mountFile, let text = mountFiles[mountFile] {
                let (fileRules, problems) = MountFileParser.parse(text, file: resolvePath(mountFile))
                parsedMountFiles[mountFile] = fileRules
                rules += fileRules
                diagnostics += problems
            }
            var indicators = Indicators()
            for (name, value) in main.indicators { indicators.set(name, value) }
            if !isMain { for (name, value) in own.indicators { indicators.set(name, value) } }
            var envVars = main.envVars
            if !isMain {
                for variable in own.envVars {
                    envVars.removeAll { $0.name.lowercased() == variable.name.lowercased() }
                    envVars.append(variable)
                }
            }
            settings.append(
                ServerSettings(
                    label: server.label, isVirtual: server.isVirtual, location: server.location, mounts: MountTable(rules),
                    mountFile: mountFile,
                    mountFileReload: own.mountFileReload ?? main.mountFileReload ?? defaultMountFileReload,
                    mountCopy: isMain ? (main.mountCopy ?? .off) : copy,
                    autoAlias: own.autoAlias ?? (inherit ? main.autoAlias : nil),
                    logFile: own.logFile ?? main.logFile,
                    logFileLocation: own.logFile != nil ? own.logFileLocation : main.logFileLocation,
                    logLevel: own.logLevel ?? main.logLevel ?? .info,
                    logStampFormat: own.logStampFormat ?? main.logStampFormat ?? defaultStampFormat,
                    requestLogFormat: own.requestLogFormat ?? main.requestLogFormat,
                    options: JkOptionsDelta.effective(global: main.options, server: isMain ? nil : own.options),
                    envVars: envVars,
                    stripSession: own.stripSession ?? main.stripSession,
                    extractSSL: own.extractSSL ?? main.extractSSL ?? true,
                    indicators: indicators, name: server.name))
        }
        let configuration = JKConfiguration(global: global, servers: settings, workers: workers, workerMounts: workerMounts)
        diagnostics += configuration.mountDiagnostics()
        return (configuration, diagnostics)
    }

    static func workerMountRules(_ workers: WorkersConfiguration, diagnostics: inout [ConfigDiagnostic]) -> [MountRule] {
        var rules: [MountRule] = []
        for name in workers.order {
            guard let worker = workers.workers[name], !worker.mounts.isEmpty else { continue }
            guard workers.list.contains(name) else {
                diagnostics.append(.warning("worker.\(name).mount is ignored: '\(name)' is not in worker.list", at: worker.location))
                continue
            }
            for pattern in worker.mounts {
                let (parsed, problems) = MountRuleParser.parse(
                    pattern: pattern, workerSpec: name, source: .workerMount, location: worker.location)
                rules += parsed
                diagnostics += problems
            }
        }
        return rules
    }

    /// Mounts that name a worker that does not exist or cannot be mounted.
    func mountDiagnostics() -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        var reported = Set<String>()
        // A rule copied into virtual hosts (JkMountCopy) is reported once, at its line.
        var checkedActivations = Set<String>()
        for server in servers {
            for rule in server.mounts.rules where rule.worker != "*" {
                if checkedActivations.insert("\(rule.isExclusion)\u{0}\(rule.pattern)\u{0}\(rule.worker)@\(rule.location?.description ?? "")").inserted {
                    diagnostics += activationDiagnostics(rule)
                }
                let key = "\(rule.worker)@\(rule.location?.description ?? "")"
                guard reported.insert(key).inserted else { continue }
                if rule.isExclusion {
                    // An exclusion cancels mounts of its own worker only: naming an unknown one
                    // excludes nothing.
                    if workers.workers[rule.worker] == nil {
                        let hint = Suggestions.nearest(to: rule.worker, in: workers.list).map { " — did you mean \($0)?" } ?? ""
                        diagnostics.append(
                            .warning("unmount '\(rule.pattern)' names worker '\(rule.worker)', which is not defined: it excludes nothing, so what it matches still goes to the workers mounted there (as mod_jk does)\(hint)", at: rule.location))
                    }
                    continue
                }
                if workers.workers[rule.worker] == nil && workers.unlisted.contains(rule.worker) {
                    diagnostics.append(
                        .warning("mount '\(rule.pattern)' names worker '\(rule.worker)', which is defined but not in worker.list; such requests are answered 500 (as mod_jk does) — add it to worker.list", at: rule.location))
                } else if workers.workers[rule.worker] == nil {
                    let hint = Suggestions.nearest(to: rule.worker, in: workers.list).map { " — did you mean \($0)?" } ?? ""
                    diagnostics.append(
                        .warning("mount '\(rule.pattern)' names worker '\(rule.worker)', which is not defined\(hint); such requests are answered 500 (as mod_jk does)", at: rule.location))
                } else if !workers.list.contains(rule.worker) {
                    diagnostics.append(
                        .warning("mount '\(rule.pattern)' names worker '\(rule.worker)', which is defined but not in worker.list; such requests are answered 500 (as mod_jk does) — add it to worker.list", at: rule.location))
                }
            }
        }
        return diagnostics
    }

    /// A mount's `active=`/`disabled=`/`stopped=` lists: they apply to members of an lb worker,
    /// so mod_jk ignores them (with a warning) on other workers and for names that are no member.
    func activationDiagnostics(_ rule: MountRule) -> [ConfigDiagnostic] {
        let lists = [("active", rule.extensions.active), ("disabled", rule.extensions.disabled), ("stopped", rule.extensions.stopped)]
            .filter { !$0.1.isEmpty }
        guard !lists.isEmpty, let worker = workers.workers[rule.worker] else { return [] }
        guard case .lb(let lb) = worker.kind else {
            let names = lists.map { "\($0.0)=" }.joined(separator: ", ")
            return [.warning("mount '\(rule.pattern)' sets \(names) for worker '\(rule.worker)', which is not a load balancer (\(worker.typeName)); ignored (as mod_jk does)", at: rule.location)]
        }
        var diagnostics: [ConfigDiagnostic] = []
        for (name, members) in lists {
            for member in members where !lb.members.contains(member) {
                let hint = Suggestions.nearest(to: member, in: lb.members).map { " — did you mean \($0)?" } ?? ""
                diagnostics.append(
                    .warning("mount '\(rule.pattern)': '\(member)' in \(name)= is not a member of load balancer '\(rule.worker)'\(hint); ignored (as mod_jk does)", at: rule.location))
            }
        }
        return diagnostics
    }
}

/// uriworkermap.properties: `pattern=worker[;ext...]` per line, `#` comments.
public enum MountFileParser {
    public static func parse(_ text: String, file: String) -> ([MountRule], [ConfigDiagnostic]) {
        var rules: [MountRule] = []
        var diagnostics: [ConfigDiagnostic] = []
        var number = 0
        for rawLine in TextLines.split(text) {
            number += 1
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = PropertiesLexer.trim(line)
            guard !trimmed.isEmpty else { continue }
            let location = SourceLocation(file: file, line: number)
            guard !ConfigText.hasInvalidUTF8(trimmed) else {
                diagnostics.append(.error(ConfigText.notUTF8("the line"), at: location))
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                diagnostics.append(.error("'\(trimmed)' is not a 'pattern=worker' line", at: location))
                continue
            }
            let pattern = PropertiesLexer.trim(trimmed[..<equals])
            let worker = PropertiesLexer.trim(trimmed[trimmed.index(after: equals)...])
            let (parsed, problems) = MountRuleParser.parse(
                pattern: String(pattern), workerSpec: String(worker), source: .mountFile, location: location)
            rules += parsed
            diagnostics += problems
        }
        return (rules, diagnostics)
    }
}
