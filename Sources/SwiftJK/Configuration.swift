import JKBalancer
import JKConfig
import JKCore
import JKPosix

/// The parsed, validated configuration of one httpd generation, built at check_config (in the
/// parent, twice at startup and once per restart) and handed to C as an opaque pointer.
///
/// Immutable after `openResources` except for the resources themselves, which the pconf
/// cleanup releases (`close`).
final class Configuration: @unchecked Sendable {
    let startup: StartupInput
    let jk: JKConfiguration
    let plans: [WorkerPlan]
    let planIndex: [String: Int]
    /// Per plan: is it in worker.list (only those may be mounted)?
    let mountable: [Bool]
    /// Per server, by reference (the request path must not copy the settings).
    let servers: [ServerContext]
    let diagnostics: [ConfigDiagnostic]
    /// One log per server (index as in `jk.servers`); files shared between servers by path.
    private(set) var logs: [JKLog]
    private(set) var logFiles: [LogFile] = []
    private(set) var shared: SharedBalancerState?
    /// Resolved backend addresses by worker-plan index (nil until resolved, or on failure).
    private(set) var addresses: [SocketAddress?]

    private init(startup: StartupInput, jk: JKConfiguration, plans: [WorkerPlan], diagnostics: [ConfigDiagnostic]) {
        self.startup = startup
        self.jk = jk
        self.plans = plans
        var index: [String: Int] = [:]
        for (position, plan) in plans.enumerated() { index[plan.name] = position }
        self.planIndex = index
        let listed = Set(jk.workers.list)
        self.mountable = plans.map { listed.contains($0.name) }
        self.servers = jk.servers.map(ServerContext.init)
        self.diagnostics = diagnostics
        self.logs = jk.servers.map { _ in JKLog.discarding }
        self.addresses = plans.map { _ in nil }
    }

    /// Parses everything. Returns the configuration (possibly with warnings) or the errors.
    static func load(
        _ startup: StartupInput, environment: [String: String], readFile: (String) throws(FileError) -> String
    ) -> (Configuration?, [ConfigDiagnostic]) {
        var (jk, diagnostics) = ConfigurationLoader.load(
            servers: startup.servers, serverRoot: startup.serverRoot, environment: environment,
            readFile: { path in
                do throws(FileError) {
                    return .success(try readFile(path))
                } catch {
                    return .failure(.init(error.description))
                }
            })
        diagnostics += unimplementedDirectiveWarnings(startup.servers)
        if let jk { diagnostics += HostCheck.diagnostics(jk.workers) }
        guard let jk, !diagnostics.hasErrors else { return (nil, diagnostics) }
        let plans = makePlans(jk.workers, threadsPerChild: startup.threadsPerChild)
        return (Configuration(startup: startup, jk: jk, plans: plans, diagnostics: diagnostics), diagnostics)
    }

    /// Directives accepted for compatibility whose behaviour is not built yet: one warning each.
    static let unimplementedDirectives: Set<String> = []

    /// JkOptions accepted for compatibility whose behaviour is not built yet.
    static let unimplementedOptions: Set<String> = []

    static func unimplementedDirectiveWarnings(_ servers: [RawServer]) -> [ConfigDiagnostic] {
        servers.flatMap { server in
            server.directives.flatMap { directive -> [ConfigDiagnostic] in
                if unimplementedDirectives.contains(directive.name) {
                    return [.warning("\(directive.name) is accepted but not implemented yet in SwiftJK; it has no effect", at: directive.location)]
                }
                guard directive.name == "JkOptions" else { return [] }
                return directive.arguments.filter { !$0.hasPrefix("-") && unimplementedOptions.contains(String($0.drop { $0 == "+" })) }.map {
                    .warning("JkOptions \($0) is accepted but not implemented yet in SwiftJK; it has no effect", at: directive.location)
                }
            }
        }
    }

    static func makePlans(_ workers: WorkersConfiguration, threadsPerChild: Int) -> [WorkerPlan] {
        var plans: [WorkerPlan] = []
        var index: [String: Int] = [:]
        // ajp13 and status workers first, so lb plans can refer to member indices.
        for name in workers.order {
            guard let worker = workers.workers[name] else { continue }
            switch worker.kind {
            case .ajp13(let settings):
                index[name] = plans.count
                plans.append(.ajp(AJPPlan(name: name, settings: settings, threadsPerChild: threadsPerChild)))
            case .status(let settings):
                index[name] = plans.count
                plans.append(.status(StatusPlan(name: name, settings: settings)))
            case .lb:
                continue
            }
        }
        var slot = 0
        for name in workers.order {
            guard let worker = workers.workers[name], case .lb(let settings) = worker.kind else { continue }
            let memberIndices = settings.members.compactMap { index[$0] }
            let members: [Balancer.Member] = settings.members.compactMap { member in
                guard let ajp = workers.workers[member]?.ajp else { return nil }
                return Balancer.Member(
                    name: member, route: ajp.route ?? member, domain: ajp.domain, redirect: ajp.redirect,
                    distance: ajp.distance, lbFactor: ajp.lbFactor,
                    activation: ajp.port == 0 ? .stopped : ajp.activation, busyLimit: ajp.busyLimit,
                    slowStart: ajp.slowStart ?? settings.slowStart, drainTimeout: ajp.drainTimeout ?? settings.drainTimeout)
            }
            var balancerSettings = Balancer.Settings()
            balancerSettings.method = settings.method
            balancerSettings.stickySession = settings.stickySession
            balancerSettings.stickySessionForce = settings.stickySessionForce
            balancerSettings.recoverTime = settings.recoverTime
            balancerSettings.errorEscalationTime = settings.errorEscalationTime ?? Milliseconds(settings.recoverTime.value / 2)
            balancerSettings.maxReplyTimeouts = settings.maxReplyTimeouts
            balancerSettings.maintainInterval = workers.maintainInterval
            balancerSettings.retries = settings.retries
            balancerSettings.pessimisticLock = settings.pessimisticLock
            let balancer = Balancer(name: name, members: members, settings: balancerSettings)
            index[name] = plans.count
            plans.append(.lb(LBPlan(name: name, settings: settings, balancer: balancer, memberWorkers: memberIndices, sharedSlot: slot)))
            slot += 1
        }
        return plans
    }

    // MARK: Resources (post_config, real pass only)

    /// The jk log of a server: its `JkLogFile`, else mod_jk's default `logs/mod_jk.log` under
    /// ServerRoot; where ServerRoot has no `logs` directory (Debian's /etc/apache2), the default
    /// Debian's mod_jk is built with, /var/log/apache2/mod_jk.log.
    func logFile(of server: ServerSettings) -> String { server.logFile ?? defaultLogFile }

    /// Decided once (two stats), at start-up in the parent.
    private lazy var defaultLogFile: String = {
        if !Paths.isDirectory(startup.resolve("logs")), Paths.isDirectory(Self.debianLogDirectory) {
            return Self.debianLogDirectory + "/mod_jk.log"
        }
        return "logs/mod_jk.log"
    }()

    static let debianLogDirectory = "/var/log/apache2"

    /// Whether the balancers or a status worker need the shared memory file.
    var needsSharedMemory: Bool {
        plans.contains { plan in
            switch plan {
            case .lb, .status: true
            case .ajp: false
            }
        }
    }

    /// The shared memory file's name before `.<parent pid>`: `JkShmFile`, else httpd's runtime
    /// directory (DefaultRuntimeDir), where a shared-memory file belongs (mod_jk's default is
    /// logs/jk-runtime-status under ServerRoot).
    var sharedMemoryBase: String { jk.global.shmFile.map { startup.resolve($0) } ?? runtimeFile("jk-runtime-status") }

    /// What `openResources` will fail on, checked without creating anything: run on httpd's
    /// first start-up pass, which still has the terminal, so `apache2 -k start` stops with the
    /// reason and a non-zero status instead of a daemon that exits in the background
    /// (docs/architecture.md §4.3).
    func preflightProblems() -> [String] {
        var problems: [String] = []
        var seen = Set<String>()
        for server in jk.servers {
            let configured = logFile(of: server)
            guard seen.insert(configured).inserted else { continue }
            let at = server.logFileLocation.map { "\($0): " } ?? ""
            if configured.hasPrefix("|") {
                if let problem = Self.pipedLogProblem(configured) { problems.append("\(at)JkLogFile \(problem)") }
                continue
            }
            let path = startup.resolve(configured)
            let directory = Self.directory(of: path)
            if !Paths.isDirectory(directory) {
                problems.append("\(at)JkLogFile: cannot open '\(path)': the directory '\(directory)' does not exist")
            } else if let problem = Paths.appendProblem(path) {
                problems.append("\(at)JkLogFile: cannot open '\(path)' for appending: \(problem)")
            }
        }
        if needsSharedMemory {
            let directory = Self.directory(of: sharedMemoryBase)
            if !Paths.isDirectory(directory) {
                problems.append("JkShmFile: cannot create '\(sharedMemoryBase).<pid>': the directory '\(directory)' does not exist. Balancer state cannot be shared between children; fix the path")
            }
        }
        return problems
    }

    /// What the first pass should say but not stop on: a `JkShmFile` nothing needs (no lb or
    /// status worker, so no file is made) in a directory that does not exist. mod_jk refuses to
    /// start on it; SwiftJK starts, and says the path would fail once an lb is added.
    func preflightWarnings() -> [String] {
        guard !needsSharedMemory, let configured = jk.global.shmFile else { return [] }
        let directory = Self.directory(of: sharedMemoryBase)
        guard !Paths.isDirectory(directory) else { return [] }
        let at = jk.global.shmFileLocation.map { "\($0): " } ?? ""
        return ["\(at)JkShmFile '\(configured)': the directory '\(directory)' does not exist. Nothing uses the file now (no lb or status worker), so httpd starts; with an lb worker it would not (mod_jk refuses to start either way)"]
    }

    /// What would stop httpd from starting the piped log `configured` ("|program args", "||…",
    /// or "|$shell command"), checked the way httpd does before it forks: a program run without
    /// a shell must be executable (`access(X_OK)`); a shell command cannot be checked here.
    static func pipedLogProblem(_ configured: String) -> String? {
        var command = Substring(configured.dropFirst())
        if command.hasPrefix("|") { command = command.dropFirst() }
        command = command.drop(while: { $0 == " " || $0 == "\t" })
        if command.hasPrefix("$") { return command.dropFirst().contains(where: { $0 != " " }) ? nil : "'\(configured)': no command to run" }
        // httpd's own tokenizer takes a quoted program with spaces; that one is left to it.
        if command.hasPrefix("\"") || command.hasPrefix("'") { return nil }
        guard let program = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else {
            return "'\(configured)': no program to run"
        }
        guard let problem = Paths.executeProblem(String(program)) else { return nil }
        return "'\(configured)': cannot run '\(program)': \(problem)"
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Opens the jk log files and creates the shared memory. Returns error messages.
    func openResources(openPipedLog: (String) -> Int32?) -> [String] {
        var problems: [String] = []
        var byPath: [String: LogFile] = [:]
        var newLogs: [JKLog] = []
        for server in jk.servers {
            let configured = logFile(of: server)
            var file = byPath[configured]
            if file == nil {
                if configured.hasPrefix("|") {
                    let command = String(configured.dropFirst()).trimmingCharacters(in: " ")
                    if let fd = openPipedLog(command) {
                        file = LogFile(borrowing: fd, name: configured)
                    } else {
                        problems.append("JkLogFile: cannot start piped log '\(command)'")
                    }
                } else {
                    do {
                        file = try LogFile(path: startup.resolve(configured))
                        if let file { logFiles.append(file) }
                    } catch {
                        problems.append("JkLogFile: \(error.description)")
                    }
                }
                if let file { byPath[configured] = file }
            }
            newLogs.append(JKLog(file: file, level: server.logLevel, stampFormat: server.logStampFormat))
        }
        logs = newLogs
        for (index, plan) in plans.enumerated() {
            guard case .ajp(let ajp) = plan else { continue }
            do {
                addresses[index] = try SocketAddress.resolve(host: ajp.host, port: ajp.port, preferIPv6: ajp.settings.preferIPv6)
            } catch {
                mainLog.error("worker \(ajp.name): \(error.description); will retry when a request needs it")
            }
        }
        let balancers = plans.compactMap { plan -> LBPlan? in
            if case .lb(let lb) = plan { return lb }
            return nil
        }
        let ajpWorkers = plans.compactMap { plan -> AJPPlan? in
            if case .ajp(let ajp) = plan { return ajp }
            return nil
        }
        // Shared memory for the balancers' records, and for the status worker's changes and
        // form nonces, which every child must see.
        if needsSharedMemory {
            let path = "\(sharedMemoryBase).\(startup.parentPID)"
            do {
                let state = try SharedBalancerState(path: path, balancers: balancers, ajpWorkers: ajpWorkers)
                for line in state.carriedOver { mainLog.info("status worker change \(line)") }
                shared = state
            } catch {
                problems.append("JkShmFile: \(error.description). Balancer state cannot be shared between children; fix the path or its permissions")
            }
        }
        return problems
    }

    func runtimeFile(_ name: String) -> String {
        let directory = startup.runtimeDirectory
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Releases what `openResources` created (pconf cleanup: restart or stop). Operator changes
    /// are carried over a restart only: after a stop, the next start (which may get the same
    /// pid, in a container) begins from workers.properties, as with mod_jk.
    func close(carryChanges: Bool = true) {
        for file in logFiles { file.close() }
        logFiles = []
        shared?.close(carryChanges: carryChanges)
        shared = nil
    }

    var mainLog: JKLog { logs.first ?? .discarding }

    func log(forServer index: Int) -> JKLog {
        index >= 0 && index < logs.count ? logs[index] : mainLog
    }

    func plan(named name: String) -> (Int, WorkerPlan)? {
        guard let index = planIndex[name] else { return nil }
        return (index, plans[index])
    }

    func address(for index: Int) -> SocketAddress? { index < addresses.count ? addresses[index] : nil }
}

/// One server's settings, shared by reference, with what every request reads kept apart:
/// reading `settings` copies the whole struct (its strings and tables retained, on a cache line
/// every thread shares), so the request path reads these fields instead.
final class ServerContext: @unchecked Sendable {
    let settings: ServerSettings
    let options: JkOptions
    let extractSSL: Bool
    let hasEnvVars: Bool
    let hasRequestLogFormat: Bool
    /// The indicator variables' names as C strings, for `get_env` (made once, freed in deinit).
    let keys: EnvironmentKeys

    init(_ settings: ServerSettings) {
        self.settings = settings
        options = settings.options
        extractSSL = settings.extractSSL
        hasEnvVars = !settings.envVars.isEmpty
        hasRequestLogFormat = settings.requestLogFormat?.isEmpty == false
        keys = EnvironmentKeys(settings.indicators)
    }

    deinit { keys.free() }
}

/// The JkXxxIndicator variable names, NUL-terminated, owned by their `ServerContext`.
struct EnvironmentKeys {
    let https, sslProtocol, certs, cipher, session, keySize: UnsafePointer<CChar>
    let remoteAddr, remotePort, remoteHost, remoteUser, authType: UnsafePointer<CChar>
    let localName, localAddr, localPort, ignoreCL, requestID: UnsafePointer<CChar>

    init(_ indicators: Indicators) {
        func copy(_ name: String) -> UnsafePointer<CChar> {
            let bytes = Array(name.utf8CString)
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            buffer.initialize(from: bytes, count: bytes.count)
            return UnsafePointer(buffer)
        }
        https = copy(indicators.https)
        sslProtocol = copy(indicators.sslProtocol)
        certs = copy(indicators.certs)
        cipher = copy(indicators.cipher)
        session = copy(indicators.session)
        keySize = copy(indicators.keySize)
        remoteAddr = copy(indicators.remoteAddr)
        remotePort = copy(indicators.remotePort)
        remoteHost = copy(indicators.remoteHost)
        remoteUser = copy(indicators.remoteUser)
        authType = copy(indicators.authType)
        localName = copy(indicators.localName)
        localAddr = copy(indicators.localAddr)
        localPort = copy(indicators.localPort)
        ignoreCL = copy(indicators.ignoreCL)
        requestID = copy(indicators.requestID)
    }

    func free() {
        for key in [https, sslProtocol, certs, cipher, session, keySize, remoteAddr, remotePort, remoteHost, remoteUser,
                    authType, localName, localAddr, localPort, ignoreCL, requestID] {
            UnsafeMutablePointer(mutating: key).deallocate()
        }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var view = Substring(self)
        while view.first == set { view = view.dropFirst() }
        while view.last == set { view = view.dropLast() }
        return String(view)
    }
}
