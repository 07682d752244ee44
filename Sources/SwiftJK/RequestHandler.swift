import AJP13
import CSwiftJKABI
import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPosix

/// The handler: turns one httpd request into attempts on workers and answers it.
///
/// Returns 0 when a response was written (or the client is gone), else the HTTP status httpd
/// should answer with.
enum RequestHandler {
    static func handle(_ view: UnsafePointer<sjk_request_view>, runtime: Runtime) -> Int32 {
        let started = SystemClock.nowMicroseconds()
        let configuration = runtime.configuration
        let v = view.pointee
        let serverIndex = Int(v.server_index)
        guard serverIndex >= 0, serverIndex < configuration.jk.servers.count, let host = v.host else { return 500 }
        let server = configuration.servers[serverIndex]
        let log = configuration.log(forServer: serverIndex)
        let httpd = HttpdClient(request: v.r, host: host)

        // `no-jk` may be set after translate (SetEnvIf in <Location>, SetEnv): mod_jk checks
        // it in the handler too.
        if RequestEnvironment(v)["no-jk"] != nil {
            log.debug("\((v.uri.map { String(cString: $0) } ?? "")): no-jk is set; declined")
            return Int32(SJK_DECLINED)
        }
        // A directory mod_dir found no index file for (the shim passes it on only with
        // +ForwardDirectories: sjk_forwards_directories) goes, as in mod_jk 1.2.48, only to a
        // worker the request names (JkWorkerIndicator).
        // Which worker: from translate_name, else (SetHandler jakarta-servlet) as mod_jk does.
        var planIndex = Int(v.worker_index)
        var extensions: MountExtensions?
        if planIndex < 0 {
            let (named, indicated) = HandlerWorker.name(v, server: server, log: log)
            extensions = indicated
            guard let name = named else { return Int32(SJK_DECLINED) }
            guard let (index, _) = configuration.plan(named: name) else {
                log.error("request for worker '\(name)', which is not defined; answering 500")
                return 500
            }
            planIndex = index
            httpd.setNote("JK_WORKER_NAME", name)
        } else {
            extensions = MountExtensionsLookup.find(runtime: runtime, server: serverIndex, rule: Int(v.rule_index), plan: planIndex)
        }
        guard planIndex < configuration.plans.count else { return 500 }
        let plan = configuration.plans[planIndex]
        guard configuration.mountable[planIndex] else {
            log.error("worker '\(plan.name)' is not in worker.list and cannot be mounted; answering 500")
            return 500
        }
        let options = server.options
        httpd.flushEveryPacket = options.contains(.flushPackets)
        httpd.flushHeaders = options.contains(.flushHeader)
        httpd.disableReuse = options.contains(.disableReuse)
        httpd.headerOnly = v.header_only != 0
        runtime.pullAJPSettings()
        let facts = RequestFacts(view: view, server: server)
        var request = RequestEncoder(facts: facts, options: options)
        // Only when a directive names them (RequestNotes): nothing else reads these.
        let workerNotes = configuration.startup.requestNotes.contains(.worker)
        if workerNotes { httpd.setNote("JK_WORKER_TYPE", plan.typeName) }

        var report: ServiceReport
        switch plan {
        case .ajp(let ajp):
            guard let client = runtime.client(planIndex) else { return 500 }
            report = AJPWorkerService.serve(
                plan: ajp, client: client, request: &request, facts: facts, httpd: httpd, extensions: extensions,
                shared: configuration.shared, log: log)
        case .lb(let lb):
            report = LoadBalancerService.serve(
                lb: lb, runtime: runtime, request: &request, facts: facts, httpd: httpd, extensions: extensions, log: log)
        case .status(let status):
            report = StatusWorkerService.serve(plan: status, runtime: runtime, facts: facts, httpd: httpd)
        }
        let duration = SystemClock.nowMicroseconds() - started
        if workerNotes {
            RequestLogLine.withSeconds(microseconds: duration) { httpd.setNote("JK_REQUEST_DURATION", $0) }
            if let route = report.route { httpd.setNote("JK_WORKER_ROUTE", route) }
        }
        if let warning = report.secretWarning, runtime.firstTime("secret:\(plan.name)") { log.warn(warning) }
        if let failure = report.failureLine {
            log.log(report.failureLevel, facts.requestID.map { "\(failure) [id=\($0)]" } ?? failure)
        }
        if log.enabled(.debug) {
            log.debug(report.debugLine(facts: facts, worker: plan.name, durationMicroseconds: duration))
        }
        if server.hasRequestLogFormat, let format = server.settings.requestLogFormat {
            log.request(
                RequestLogLine.format(
                    format, facts: facts, status: httpd.status != 0 ? httpd.status : Int(report.httpStatus),
                    // A HEAD's body is never sent: httpd's byte count (mod_jk's %b) is 0.
                    bytes: facts.headerOnly ? 0 : report.bytesOut, durationMicroseconds: duration, worker: plan.name,
                    route: report.route))
        }
        runtime.maintainOnRequest(now: SystemClock.now())
        // The client has everything: what is left (httpd's access log, the look for the
        // connection's next request) can wait for threads that want this CPU (§5.1).
        if httpd.responseDelivered { Scheduler.yieldToWaitingThreads() }
        return report.httpStatus
    }
}

/// What happened to one request, for the handler's return code and the one-line trace.
struct ServiceReport {
    var httpStatus: Int32 = 0
    /// The member (route) that served, if any.
    var route: String?
    var requestedRoute: String?
    var routeSource: String?
    var why = ""
    /// Attempts made; their details are kept only when the debug line will be written.
    var attemptCount = 0
    var attempts: [AttemptRecord] = []
    var backendStatus = 0
    var bytesIn: Int64 = 0
    var bytesOut: Int64 = 0
    var failureLine: String?
    var failureLevel: LogLevel = .error
    /// A suspected secret mismatch, written once per worker per child.
    var secretWarning: String?

    /// Counts an attempt; `detailed` (the debug line will be written) keeps what it was.
    mutating func noteAttempt(worker: String, outcome: AttemptOutcome, detailed: Bool) {
        attemptCount += 1
        if detailed { attempts.append(AttemptRecord(worker: worker, outcome: outcome)) }
    }

    func debugLine(facts: RequestFacts, worker: String, durationMicroseconds: Int64) -> String {
        var line = "\(facts.method) \(facts.loggableURI)"
        line += " worker=\(worker)"
        if let requestedRoute { line += " route=\(requestedRoute)(\(routeSource ?? "?"))" }
        if let route { line += " served_by=\(route)" }
        if !why.isEmpty { line += " why=\(why)" }
        line += " attempts=\(max(1, attemptCount))"
        if attemptCount > 1 { line += " [\(attempts.map(\.text).joined(separator: "; "))]" }
        line += " status=\(backendStatus != 0 ? backendStatus : Int(httpStatus))"
        line += " in=\(bytesIn) out=\(bytesOut) time=\(durationMicroseconds / 1000).\(String(durationMicroseconds % 1000 / 100))ms"
        if let id = facts.requestID { line += " id=\(id)" }
        return line
    }
}

/// One attempt, kept as data; formatted only when a line is written.
struct AttemptRecord {
    let worker: String
    let outcome: AttemptOutcome
    var text: String { "\(worker): \(AttemptText.describe(outcome))" }
}

/// The extensions (reply_timeout, fail_on_status, …) of the mount rule translate_name matched.
enum MountExtensionsLookup {
    static func find(runtime: Runtime, server: Int, rule: Int, plan: Int) -> MountExtensions? {
        guard rule >= 0,
            let mounts = runtime.mounts.table(forServer: server, now: SystemClock.now(), log: runtime.configuration.log(forServer: server)),
            mounts.table.hasExtensions, rule < mounts.targets.count,
            mounts.targets[rule] == plan  // the table was not reloaded in between
        else { return nil }
        let extensions = mounts.table.rules[rule].extensions
        return extensions.isEmpty ? nil : extensions
    }
}
