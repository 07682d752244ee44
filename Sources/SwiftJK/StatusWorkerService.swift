import JKBalancer
import JKConfig
import JKCore
import JKPosix
import JKStatus

/// The status worker (mod_jk's jkstatus): `list`, `show`, `edit`, `update`, `reset`,
/// `recover`, `version` and `dump` in html, xml, txt, prop, json and Prometheus text
/// (docs/status-worker.md). Errors are 4xx answers carrying mod_jk's `Result: type=ERROR`
/// line; changes go to the shared records, so every child applies them at once.
enum StatusWorkerService {
    /// The most form data a POST may carry.
    static let maxFormBytes = 65536

    static func serve(plan: StatusPlan, runtime: Runtime, facts: RequestFacts, httpd: HttpdClient) -> ServiceReport {
        let settings = plan.settings
        let query = FormDecoding.pairs(facts.queryString ?? "")
        var pairs = query ?? []
        var malformed = query == nil
        let isPost = facts.method == "POST"
        if isPost {
            switch readForm(facts: facts, httpd: httpd) {
            case .success(let body):
                if let form = FormDecoding.pairs(body) { pairs += form } else { malformed = true }
            case .failure(let error): return answer(error: error, format: requestedFormat(pairs), plan: plan, facts: facts, httpd: httpd)
            }
        }
        let format = requestedFormat(pairs)
        // mod_jk's order: access, parse errors, read-only, command, format, worker.
        if !settings.users.isEmpty {
            let user = facts.remoteUser ?? ""
            let allowed = !user.isEmpty && settings.users.contains { settings.userCaseInsensitive ? $0.lowercased() == user.lowercased() : $0 == user }
            if !allowed {
                runtime.configuration.mainLog.info("status worker \(plan.name): access denied to \(facts.remoteUser.map { "user '\($0)'" } ?? "a request without a user") from \(facts.remoteAddress)")
                return answer(error: .accessDenied, format: format, plan: plan, facts: facts, httpd: httpd)
            }
        }
        if malformed { return answer(error: .badQuery, format: format, plan: plan, facts: facts, httpd: httpd) }
        let optionBits = pairs.last { $0.name == "opt" }.flatMap { Int($0.value) } ?? 0
        let readOnly = settings.readOnly || StatusOptions(rawValue: optionBits).contains(.readOnly)
        if readOnly, let name = StatusRequest.commandName(pairs), let command = StatusCommand(rawValue: name), command.changesState || command == .edit {
            return answer(error: .readOnly, format: format, plan: plan, facts: facts, httpd: httpd)
        }
        let request: StatusRequest
        switch StatusRequest.parse(pairs) {
        case .success(let parsed): request = parsed
        case .failure(let error): return answer(error: error, format: format, plan: plan, facts: facts, httpd: httpd)
        }
        if !isPost && facts.method != "GET" && facts.method != "HEAD" {
            return answer(error: StatusError(405, "Method \(facts.method) is not allowed: use GET, or POST for changes"), format: format, plan: plan, facts: facts, httpd: httpd)
        }
        var flash: (String, Bool)?
        if request.command.changesState {
            if !isPost && !settings.allowGetUpdates {
                return answer(
                    error: StatusError(405, "State changes by GET are off for this status worker: use the page's forms (POST), or set worker.\(plan.name).allow_get_updates=true for scripts"),
                    format: format, plan: plan, facts: facts, httpd: httpd)
            }
            if isPost && !settings.allowGetUpdates {
                let valid = request.nonce.map { nonce in
                    runtime.configuration.shared?.withNonces { $0.consume(nonce, now: SystemClock.now().milliseconds) } ?? false
                } ?? false
                if !valid {
                    runtime.configuration.mainLog.warn("status worker \(plan.name): refused a \(request.command.rawValue) by POST from \(facts.remoteAddress) without a valid form nonce (replayed, forged or older than \(NonceRing.lifetime / 60000) minutes)")
                    return answer(error: StatusError(403, "Refused: the form is stale or forged (no valid nonce). Reload the status page and try again."), format: format, plan: plan, facts: facts, httpd: httpd)
                }
            }
            switch perform(request, plan: plan, runtime: runtime, facts: facts) {
            case .failure(let error): return answer(error: error, format: format, plan: plan, facts: facts, httpd: httpd)
            case .success(let message): flash = (message, false)
            }
            if format != .html {
                return respond(StatusDocument(result: .finished), request: request, plan: plan, runtime: runtime, facts: facts, httpd: httpd, nonce: nil, flash: nil)
            }
        }
        let builder = StatusDocumentBuilder(runtime: runtime, status: settings)
        let document: StatusDocument
        switch build(request, builder: builder, facts: facts) {
        case .success(let built): document = built
        case .failure(let error): return answer(error: error, format: format, plan: plan, facts: facts, httpd: httpd)
        }
        var nonce: String?
        if format == .html && !readOnly {
            nonce = runtime.configuration.shared?.withNonces { $0.issue(random: SystemRandom.pair(), now: SystemClock.now().milliseconds) }
        }
        return respond(document, request: request, plan: plan, runtime: runtime, facts: facts, httpd: httpd, nonce: nonce, flash: flash)
    }

    // MARK: Commands

    static func build(_ request: StatusRequest, builder: StatusDocumentBuilder, facts: RequestFacts) -> Result<StatusDocument, StatusError> {
        let header = builder.header(facts: facts)
        let configuration = builder.configuration
        var command = request.command
        if command.changesState { command = request.from ?? .list }
        switch command {
        case .version:
            return .success(StatusDocument(header: header, result: .finished))
        case .dump:
            let serverRoot = "ServerRoot=\(configuration.startup.serverRoot)"
            return .success(StatusDocument(header: header, configuration: [serverRoot] + configuration.jk.workers.dump, result: .finished))
        case .list, .update, .reset, .recover:
            var balancers: [StatusDocument.Balancer] = []
            var ajps: [StatusDocument.AJPWorker] = []
            for plan in builder.listedWorkers {
                switch plan {
                case .lb(let lb) where !request.options.contains(.noLB):
                    balancers.append(builder.balancer(lb, member: nil, options: request.options))
                case .ajp(let ajp) where !request.options.contains(.noAJP):
                    ajps.append(builder.ajpWorker(ajp, planIndex: configuration.planIndex[ajp.name] ?? -1, options: request.options))
                default: continue
                }
            }
            return .success(StatusDocument(header: header, balancers: balancers.isEmpty ? nil : balancers, ajpWorkers: ajps.isEmpty ? nil : ajps, result: .finished))
        case .show, .edit:
            let (index, plan, member): (Int, WorkerPlan, [Int]?)
            switch target(request, configuration: configuration) {
            case .success(let found): (index, plan, member) = found
            case .failure(let error): return .failure(error)
            }
            if command == .edit && request.format != .html {
                var serverOnly = header
                serverOnly.serverOnly = true
                return .success(StatusDocument(header: serverOnly, result: .finished))
            }
            switch plan {
            case .lb(let lb):
                return .success(StatusDocument(header: header, balancers: [builder.balancer(lb, member: member?.first, options: request.options)], result: .finished))
            case .ajp(let ajp):
                return .success(StatusDocument(header: header, ajpWorkers: [builder.ajpWorker(ajp, planIndex: index, options: request.options)], result: .finished))
            case .status:
                return .success(StatusDocument(header: header, result: .finished))
            }
        }
    }

    /// The worker (`w`, one of worker.list) and members (`sw`, `*` wildcards for update) a
    /// command names, with mod_jk's errors.
    static func target(_ request: StatusRequest, configuration: Configuration) -> Result<(Int, WorkerPlan, [Int]?), StatusError> {
        guard let name = request.worker else { return .failure(.noWorker) }
        guard configuration.jk.workers.list.contains(name), let (index, plan) = configuration.plan(named: name) else {
            return .failure(.workerNotFound)
        }
        guard let pattern = request.member else { return .success((index, plan, nil)) }
        guard case .lb(let lb) = plan else { return .failure(.noSubWorkers) }
        let matches = lb.configured.members.indices.filter { Wildcard.matches(lb.configured.members[$0].name, pattern: pattern) }
        guard !matches.isEmpty else { return .failure(.memberNotFound) }
        return .success((index, plan, matches))
    }

    /// Applies `update`, `reset` or `recover`; returns the message for the page.
    static func perform(_ request: StatusRequest, plan: StatusPlan, runtime: Runtime, facts: RequestFacts) -> Result<String, StatusError> {
        let configuration = runtime.configuration
        let (worker, members): (WorkerPlan, [Int]?)
        switch target(request, configuration: configuration) {
        case .success(let found): (worker, members) = (found.1, found.2)
        case .failure(let error): return .failure(error)
        }
        guard let shared = configuration.shared else { return .failure(StatusError(503, "No shared memory (JkShmFile failed at startup): changes cannot reach the children")) }
        let who = "status worker \(plan.name): \(facts.remoteUser.map { "user '\($0)'" } ?? "anonymous") from \(facts.remoteAddress)"
        let log = configuration.mainLog
        if request.command == .update {
            let lines: [String]
            switch StatusUpdates.apply(request, to: worker, members: members, runtime: runtime, shared: shared) {
            case .success(let applied): lines = applied
            case .failure(let error): return .failure(error)
            }
            for line in lines { log.info("\(who) changed \(line)") }
            return .success(lines.isEmpty ? "Nothing changed." : "Changed " + lines.joined(separator: "; ") + ".")
        }
        if case .ajp(let ajp) = worker, request.command == .reset {
            // mod_jk: a plain ajp13 worker's counters start again; its state is kept.
            shared.withAJPCounters(ajp.name) { record in
                let busy = record.busy
                record = AJPCounters()
                record.busy = busy
                record.lastReset = SystemClock.now().milliseconds
            }
            log.info("\(who) reset the counters of ajp13 worker \(ajp.name)")
            return .success("Counters of ajp13 worker \(ajp.name) reset.")
        }
        guard case .lb(let lb) = worker else {
            let what = request.command == .reset ? "Reset failed" : "Marking worker for recovery failed"
            return .failure(StatusError(400, what))
        }
        let names = lb.configured.members.map(\.name)
        switch request.command {
        case .reset:
            guard request.values.isEmpty else { return .failure(StatusError(400, "reset takes no values")) }
            let member = members?.first
            StatusActions.reset(lb, member: member, shared: shared)
            let what = member.map { "member \(names[$0]) of \(lb.name)" } ?? "lb \(lb.name) and its members"
            log.info("\(who) reset the counters of \(what)")
            return .success("Counters of \(what) reset.")
        case .recover:
            guard request.values.isEmpty else { return .failure(StatusError(400, "recover takes no values")) }
            guard let member = members?.first else { return .failure(StatusError(400, "Marking worker for recovery failed")) }
            guard StatusActions.recover(lb, member: member, shared: shared) else {
                log.info("\(who) could not mark \(names[member]) of \(lb.name) for recovery: it is not in error state (ERR)")
                return .failure(StatusError(409, "Marking worker for recovery failed"))
            }
            log.info("\(who) marked \(names[member]) of \(lb.name) for recovery (ERR → ERR/REC)")
            return .success("\(names[member]) marked for recovery: the next request tries it.")
        default:
            return .failure(.invalidCommand)
        }
    }

    // MARK: Answers

    /// The format errors are answered in: the requested one; html when none is named; prop
    /// (mod_jk's choice) when the named one is unknown.
    static func requestedFormat(_ pairs: [(name: String, value: String)]) -> StatusFormat {
        guard let named = pairs.last(where: { $0.name == "mime" }) else { return .html }
        return StatusFormat(rawValue: named.value) ?? .prop
    }

    static func readForm(facts: RequestFacts, httpd: HttpdClient) -> Result<String, StatusError> {
        if let type = facts.headers.values("content-type").first, !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            return .failure(StatusError(415, "POST bodies must be application/x-www-form-urlencoded"))
        }
        if facts.contentLength > Int64(maxFormBytes) { return .failure(StatusError(413, "The form is larger than \(maxFormBytes) bytes")) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        var reads = 0
        while bytes.count <= maxFormBytes && reads < 1000 {
            reads += 1
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try httpd.readBody(into: $0) }
            } catch {
                return .failure(StatusError(400, "The form could not be read: the client went away"))
            }
            if count <= 0 { break }
            bytes += chunk[0..<min(count, chunk.count)]
        }
        guard bytes.count <= maxFormBytes else { return .failure(StatusError(413, "The form is larger than \(maxFormBytes) bytes")) }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    static func answer(error: StatusError, format: StatusFormat, plan: StatusPlan, facts: RequestFacts, httpd: HttpdClient) -> ServiceReport {
        let document = StatusDocument(result: StatusDocument.Result(ok: false, message: error.message))
        var text: String
        switch format {
        case .html:
            text = HTMLRenderer.render(document, HTMLRenderer.Page(path: facts.uri, nonce: nil, flash: error.message, flashIsError: true, css: plan.settings.css))
        case .prometheus:
            text = "# error: \(error.message)\n"
        default:
            text = render(document, format: format, plan: plan, listing: false)
        }
        return send(text, status: error.status, format: format, httpd: httpd)
    }

    static func respond(
        _ document: StatusDocument, request: StatusRequest, plan: StatusPlan, runtime: Runtime, facts: RequestFacts, httpd: HttpdClient,
        nonce: String?, flash: (String, Bool)?
    ) -> ServiceReport {
        let text: String
        if request.format == .html {
            text = HTMLRenderer.render(
                document,
                HTMLRenderer.Page(path: facts.uri, nonce: nonce, refresh: request.refresh, flash: flash?.0, flashIsError: flash?.1 ?? false, css: plan.settings.css))
        } else {
            text = render(document, format: request.format, plan: plan, listing: request.command == .list || request.command.changesState)
        }
        return send(text, status: 200, format: request.format, httpd: httpd)
    }

    static func render(_ document: StatusDocument, format: StatusFormat, plan: StatusPlan, listing: Bool) -> String {
        let s = plan.settings
        let options = StatusRenderers.Options(listing: listing, prefix: s.prefix, ns: s.ns, xmlns: s.xmlns, doctype: s.doctype)
        switch format {
        case .txt: return StatusRenderers.text(document, options)
        case .prop: return StatusRenderers.properties(document, options)
        case .xml: return StatusRenderers.xml(document, options)
        case .json: return StatusRenderers.json(document)
        case .prometheus: return PrometheusRenderer.render(document)
        case .html: return HTMLRenderer.render(document, HTMLRenderer.Page(path: "", nonce: nil, css: s.css))
        }
    }

    static func send(_ text: String, status: Int, format: StatusFormat, httpd: HttpdClient) -> ServiceReport {
        var report = ServiceReport()
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            (try? httpd.sendSimpleResponse(
                status: status, contentType: format.contentType, headers: [("Cache-Control", "no-cache"), ("Pragma", "no-cache")], body: buffer)) != nil
        }
        report.httpStatus = ok ? 0 : 500
        report.backendStatus = status
        report.bytesOut = Int64(bytes.count)
        return report
    }
}
