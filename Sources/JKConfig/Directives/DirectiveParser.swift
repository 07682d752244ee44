import JKCore

/// Interprets the recorded `Jk*` directives of one server. Every error names file:line; where
/// mod_jk silently guesses (unknown log level, bad number) this reports instead.
public enum DirectiveParser {
    public static func parse(
        _ server: RawServer, isMain: Bool
    ) -> (server: ServerDirectives, global: GlobalDirectives, diagnostics: [ConfigDiagnostic]) {
        var settings = ServerDirectives()
        var global = GlobalDirectives()
        var diagnostics: [ConfigDiagnostic] = []
        var seen: [String: SourceLocation] = [:]
        for directive in server.directives {
            let at = directive.location
            let args = directive.arguments
            func error(_ message: String) { diagnostics.append(.error("\(directive.name): \(message)", at: at)) }
            func warning(_ message: String) { diagnostics.append(.warning("\(directive.name): \(message)", at: at)) }
            func expect(_ range: ClosedRange<Int>) -> Bool {
                guard range.contains(args.count) else {
                    error(range.lowerBound == range.upperBound
                        ? "takes \(range.lowerBound) argument\(range.lowerBound == 1 ? "" : "s"), got \(args.count)"
                        : "takes \(range.lowerBound) to \(range.upperBound) arguments, got \(args.count)")
                    return false
                }
                return true
            }
            func mainOnly() -> Bool {
                guard isMain else {
                    error("only allowed in the main server, not in \(server.label)")
                    return false
                }
                return true
            }
            /// Single-valued directives: a repeat overrides, with an info note (mod_jk: last wins).
            func single() {
                if let previous = seen[directive.name] {
                    diagnostics.append(.info("\(directive.name) given again; this value replaces the one at \(previous)", at: at))
                }
                seen[directive.name] = at
            }
            if args.contains(where: ConfigText.hasInvalidUTF8) {
                error(ConfigText.notUTF8("an argument"))
                continue
            }
            if directive.section != nil && directive.name != "JkMount" && directive.name != "JkUnMount" {
                error("not allowed inside <Location> or <Directory>")
                continue
            }
            switch directive.name {
            case "JkWorkersFile":
                guard mainOnly(), expect(1...1) else { continue }
                if let previous = global.workersFileLocation {
                    error("JkWorkersFile only allowed once (first at \(previous))")
                    continue
                }
                global.workersFile = args[0]
                global.workersFileLocation = at
            case "JkWorkerProperty":
                guard mainOnly(), expect(1...1) else { continue }
                let (lines, problems) = PropertiesLexer.lex(args[0], file: at.file)
                diagnostics += problems.map { ConfigDiagnostic($0.severity, "JkWorkerProperty: \($0.message)", at: at) }
                global.workerProperties += lines.map { PropertyLine(key: $0.key, value: $0.value, location: at) }
            case "JkShmFile":
                guard mainOnly(), expect(1...1) else { continue }
                single()
                global.shmFile = args[0]
                global.shmFileLocation = at
            case "JkShmSize":
                guard mainOnly(), expect(1...1) else { continue }
                // Obsolete in mod_jk too (it warns and ignores it): whatever the value, nothing
                // depends on it, so nothing stops the server.
                global.shmSize = ValueParsing.integer(args[0]).flatMap { $0 >= 0 ? $0 : nil }
                diagnostics.append(
                    global.shmSize == nil
                        ? .warning("JkShmSize: '\(args[0])' is not a size in KB; the directive is obsolete and ignored", at: at)
                        : .info("JkShmSize is obsolete: the shared memory is sized from the configuration", at: at))
            case "JkWatchdogInterval":
                guard mainOnly(), expect(1...1) else { continue }
                // mod_jk reads it with atoi and starts; a typo here must not stop the server.
                guard let seconds = Int(args[0]), seconds >= 0 else {
                    warning("'\(args[0])' is not a number of seconds; the default is used")
                    continue
                }
                single()
                global.watchdogInterval = seconds
            case "JkMount", "JkUnMount":
                parseMount(directive, exclusion: directive.name == "JkUnMount", into: &settings, diagnostics: &diagnostics)
            case "JkMountFile":
                guard expect(1...1) else { continue }
                single()
                settings.mountFile = args[0]
                settings.mountFileLocation = at
            case "JkMountFileReload":
                guard expect(1...1) else { continue }
                guard let seconds = Int(args[0]), seconds >= 0 else {
                    warning("'\(args[0])' is not a number of seconds; the default (\(JKConfiguration.defaultMountFileReload)) is used")
                    continue
                }
                single()
                settings.mountFileReload = seconds
            case "JkMountCopy":
                guard expect(1...1) else { continue }
                switch args[0].lowercased() {
                case "on": settings.mountCopy = .on
                case "off": settings.mountCopy = .off
                case "all":
                    guard isMain else {
                        error("'All' is only allowed in the main server")
                        continue
                    }
                    settings.mountCopy = .all
                default: error("'\(args[0])' is not On, Off or All")
                }
            case "JkAutoAlias":
                guard expect(1...1) else { continue }
                single()
                settings.autoAlias = args[0]
            case "JkLogFile":
                guard expect(1...1) else { continue }
                if let previous = seen[directive.name] {
                    diagnostics.append(
                        .info("JkLogFile given twice in \(server.label): '\(args[0])' replaces the one at \(previous) (mod_jk behaves the same)", at: at))
                }
                seen[directive.name] = at
                settings.logFile = args[0]
                settings.logFileLocation = at
            case "JkLogLevel":
                guard expect(1...1) else { continue }
                single()
                guard let level = LogLevel(parsing: args[0]) else {
                    // mod_jk takes any other word as info: refusing to start would fail an
                    // upgrade of a working configuration (Puppet's default is "warning").
                    let hint = args[0].lowercased().hasPrefix("warn") ? "; write warn for warnings only" : ""
                    diagnostics.append(.warning("unknown log level '\(args[0])': logging at info, as mod_jk does (levels: trace, debug, info, warn, error, emerg)\(hint)", at: at))
                    settings.logLevel = .info
                    continue
                }
                settings.logLevel = level
            case "JkLogStampFormat":
                guard expect(1...1) else { continue }
                // mod_jk starts with either oddity: a warning, not a stop.
                let (format, problems) = checkStampFormat(args[0])
                problems.forEach(warning)
                single()
                settings.logStampFormat = format
            case "JkRequestLogFormat":
                guard expect(1...1) else { continue }
                if let problem = validateRequestLogFormat(args[0]) {
                    // mod_jk logs "format array NULL" and writes no request lines; so does
                    // SwiftJK, but says why at the directive's line. An empty format: this
                    // server writes none (not the main server's).
                    warning("\(problem); no request log lines are written, as in mod_jk")
                    single()
                    settings.requestLogFormat = ""
                    continue
                }
                single()
                // mod_jk decodes \t, \n and \\ (as mod_log_config does).
                settings.requestLogFormat = unescapeRequestLogFormat(args[0])
            case "JkOptions":
                guard !args.isEmpty else {
                    error("needs at least one option")
                    continue
                }
                for word in args {
                    switch parseOption(word, into: &settings.options) {
                    case .error(let message)?: error(message)
                    case .warning(let message)?: warning(message)
                    case nil: break
                    }
                }
                settings.optionsSet = true
            case "JkEnvVar":
                guard expect(1...2) else { continue }
                let variable = EnvVarForward(name: args[0], defaultValue: args.count > 1 ? args[1] : nil, location: at)
                // One attribute per name, as mod_jk's table of them (names compared without
                // case, as httpd's tables do): a later line changes the default in place.
                if let index = settings.envVars.firstIndex(where: { $0.name.lowercased() == variable.name.lowercased() }) {
                    settings.envVars[index].defaultValue = variable.defaultValue
                } else {
                    settings.envVars.append(variable)
                }
            case "JkStripSession":
                guard expect(1...2) else { continue }
                guard let enabled = parseFlag(args[0]) else {
                    error("'\(args[0])' is not On or Off")
                    continue
                }
                single()
                settings.stripSession = .init(enabled: enabled, name: args.count > 1 ? args[1] : ";jsessionid")
            case "JkExtractSSL":
                guard expect(1...1) else { continue }
                guard let enabled = parseFlag(args[0]) else {
                    error("'\(args[0])' is not On or Off")
                    continue
                }
                single()
                settings.extractSSL = enabled
            default:
                if Indicators.directiveNames.contains(directive.name) {
                    guard expect(1...1) else { continue }
                    single()
                    settings.indicators[directive.name] = args[0]
                } else {
                    error("unknown directive")
                }
            }
        }
        return (settings, global, diagnostics)
    }

    static func parseFlag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on": true
        case "off": false
        default: nil
        }
    }

    /// `JkMount [path] worker` / `JkUnMount [path] worker`. Inside `<Location>` the path comes
    /// from the section and matches that URI exactly.
    static func parseMount(
        _ directive: RawDirective, exclusion: Bool, into settings: inout ServerDirectives, diagnostics: inout [ConfigDiagnostic]
    ) {
        let args = directive.arguments
        let pattern: String
        let worker: String
        switch (args.count, directive.section) {
        case (1, let section?):
            pattern = section
            worker = args[0]
        case (2, nil):
            pattern = args[0]
            worker = args[1]
        case (2, let section?):
            // mod_jk refuses it ("can not have a path when defined in a location"): the path
            // would mount for the whole server, not below the section.
            diagnostics.append(
                .error("\(directive.name): inside <Location \(section)> it takes only the worker; '\(args[0])' would mount outside that location", at: directive.location))
            return
        case (1, nil):
            diagnostics.append(.error("\(directive.name): needs a path and a worker outside <Location> (got only '\(args[0])')", at: directive.location))
            return
        default:
            diagnostics.append(.error("\(directive.name): takes 1 or 2 arguments, got \(args.count)", at: directive.location))
            return
        }
        let (rules, problems) = MountRuleParser.parse(
            pattern: pattern, workerSpec: worker, source: .jkMount, location: directive.location, exclusion: exclusion)
        diagnostics += problems.map { ConfigDiagnostic($0.severity, "\(directive.name): \($0.message)", at: $0.location) }
        settings.mounts += rules
    }

    enum OptionProblem: Equatable {
        case error(String)
        case warning(String)
    }

    /// One `JkOptions` word: `+Name`, `-Name` or `Name`. Returns what is wrong with it, or nil.
    static func parseOption(_ word: String, into delta: inout JkOptionsDelta) -> OptionProblem? {
        var name = Substring(word)
        var minus = false
        if name.first == "+" {
            name = name.dropFirst()
        } else if name.first == "-" {
            minus = true
            name = name.dropFirst()
        }
        guard let entry = JkOptions.names.first(where: { $0.0.lowercased() == name.lowercased() }) else {
            let hint = Suggestions.nearest(to: String(name), in: JkOptions.names.map(\.0)).map { " — did you mean \($0)?" } ?? ""
            return .error("unknown option '\(word)'\(hint)")
        }
        guard let flag = entry.1 else {
            // mod_jk logs "Deprecated CollapseSlashes setting ignored" too.
            return .warning("'\(entry.0)' is deprecated and ignored (as in mod_jk): httpd's MergeSlashes decides")
        }
        if minus {
            if !flag.intersection(.forwardURIMask).isEmpty {
                return .error("'-\(entry.0)' is not allowed: ForwardURI options can only be set, not removed")
            }
            delta.minus.insert(flag)
            delta.plus.remove(flag)
        } else {
            if flag == .forwardLocalAddress && delta.plus.contains(.forwardPhysicalAddress)
                || flag == .forwardPhysicalAddress && delta.plus.contains(.forwardLocalAddress)
            {
                return .error("ForwardLocalAddress and ForwardPhysicalAddress exclude each other")
            }
            var problem: OptionProblem?
            if !flag.intersection(.forwardURIMask).isEmpty {
                // The last ForwardURI option wins, as in mod_jk (a distribution's snippet and a
                // site's often both set one); said, because only one of them takes effect.
                let others = delta.plus.intersection(.forwardURIMask).subtracting(flag)
                if let previous = JkOptions.names.first(where: { $0.1.map { others.contains($0) } ?? false }) {
                    problem = .warning("'\(entry.0)' replaces '\(previous.0)' given earlier for the same server: only one ForwardURI option applies")
                    delta.plus.subtract(.forwardURIMask)
                }
            }
            delta.plus.insert(flag)
            delta.minus.remove(flag)
            return problem
        }
        return nil
    }

    /// mod_jk's stamp holds 63 bytes: a longer format is cut to 63 (before a `%` that would lose
    /// its letter). Only the first `%Q`/`%q` is a fraction; another is written as is, as mod_jk
    /// does. Returns the format to use and what to warn about.
    static func checkStampFormat(_ format: String) -> (String, [String]) {
        var problems: [String] = []
        var used = format
        let q = format.components(separatedBy: "%Q").count - 1
        let lowerQ = format.components(separatedBy: "%q").count - 1
        if format.utf8.count > 63 && q + lowerQ > 0 {
            // mod_jk fits a format with %Q/%q into 64 bytes to fill in the fraction; a longer one
            // is used whole, with %Q/%q as they are. "%%Q" makes strftime write "%Q".
            used = format.components(separatedBy: "%Q").joined(separator: "%%Q")
            used = used.components(separatedBy: "%q").joined(separator: "%%q")
            problems.append("format longer than 63 characters: mod_jk does not fill in %Q or %q there, and neither does SwiftJK; they are written as they are")
        } else if q + lowerQ > 1 {
            problems.append("only the first %Q (milliseconds) or %q (microseconds) is replaced; the others are written as they are, as in mod_jk")
        }
        return (used, problems)
    }

    static let requestLogFields: Set<Character> = ["b", "B", "H", "m", "p", "q", "r", "s", "T", "U", "v", "V", "w", "R", "%"]

    /// `\t` → tab, `\n` → newline, `\\` → `\`; any other backslash stays.
    static func unescapeRequestLogFormat(_ format: String) -> String {
        guard format.contains("\\") else { return format }
        var out = ""
        var iterator = format.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else {
                out.append(character)
                continue
            }
            switch iterator.next() {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "\\": out.append("\\")
            case let other?: out.append("\\"); out.append(other)
            case nil: out.append("\\")
            }
        }
        return out
    }

    static func validateRequestLogFormat(_ format: String) -> String? {
        var iterator = format.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else { continue }
            guard let field = iterator.next() else { return "format ends with a lone '%'" }
            if !requestLogFields.contains(field) {
                return "unknown field '%\(field)' (known: %b %B %H %m %p %q %r %s %T %U %v %V %w %R)"
            }
        }
        return nil
    }
}

extension String {
    func components(separatedBy separator: String) -> [Substring] {
        var parts: [Substring] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }
}
