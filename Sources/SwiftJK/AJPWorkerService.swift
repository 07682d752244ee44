import AJP13
import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPosix
import JKRouting
import JKStatus

/// A request mounted directly on an ajp13 worker (no balancer): up to `retries` attempts,
/// `retry_interval` apart, while the retry policy allows.
enum AJPWorkerService {
    static func serve(
        plan: AJPPlan, client: WorkerClient, request: inout RequestEncoder, facts: RequestFacts, httpd: HttpdClient,
        extensions: MountExtensions?, shared: SharedBalancerState?, log: JKLog
    ) -> ServiceReport {
        var report = ServiceReport()
        var body = RequestBody(
            contentLength: facts.contentLength < 0 ? nil : facts.contentLength,
            maxChunk: AJPPacketSize.maxRequestBodyChunk(packetSize: plan.settings.maxPacketSize))
        request.secret = plan.settings.secret
        request.activation = "ACT"
        shared?.withAJPCounters(plan.name) { record in
            record.busy += 1
            record.maxBusy = max(record.maxBusy, record.busy)
        }
        var attempt = 0
        while true {
            attempt += 1
            let result = MemberAttempt.run(
                plan: plan, client: client, request: request, body: &body, httpd: httpd, extensions: extensions,
                replyTimeoutOverride: facts.replyTimeout, useServerErrors: extensions?.useServerErrors, log: log)
            report.bytesIn += result.outcome.bytesToBackend
            report.bytesOut += result.outcome.bytesToClient
            report.backendStatus = result.outcome.status
            report.noteAttempt(worker: plan.name, outcome: result.outcome, detailed: log.enabled(.debug))
            let retryable: Bool
            switch result.outcome.result {
            case .completed, .clientFailed, .serverErrorPage, .requestTooLarge, .rejectedStatus:
                retryable = false  // fail_on_status: mod_jk's ajp worker answers the error, no retry
            case .backendFailed(let failure) where failure.isHung || failure.phase == .cping:
                retryable = false  // asking the same silent backend again only doubles the wait
            case .backendFailed:
                retryable = RetryPolicy.mayRetry(
                    method: request.method, hasBody: body.hasBody, bodyReplayable: body.isReplayable,
                    requestSent: result.outcome.requestSent, responseStarted: result.outcome.responseStarted,
                    recoveryOptions: Int(plan.live.recoveryOptions))
            }
            // No free connection after connection_acquire_timeout is the answer (503), as in
            // mod_jk, whose retries run only once it has a connection: waiting again would
            // double the wait the log line names.
            let again = retryable && !result.poolExhausted && attempt < Int(plan.live.retries)
            shared?.withAJPCounters(plan.name) { record in
                Self.count(result, in: &record, now: SystemClock.now(), final: !again, first: attempt == 1)
                if !again { record.busy = max(0, record.busy - 1) }
            }
            if again {
                SystemClock.sleep(plan.settings.retryInterval)
                continue
            }
            report.route = nil
            Outcomes.finish(
                &report, result: result, workerLabel: { "worker \(plan.name) (\(plan.endpoint))" }, plan: plan, facts: facts,
                httpd: httpd)
            return report
        }
    }
}

extension AJPWorkerService {
    /// An attempt in the worker's shared counters (the status worker's used, errors, bytes).
    /// As mod_jk counts them: `used` once per request (its first attempt) and an error once,
    /// for the attempt that ends the request; bytes and reply timeouts for every attempt.
    static func count(_ result: MemberAttempt.Result, in record: inout AJPCounters, now: Timestamp, final: Bool, first: Bool) {
        guard !result.poolExhausted else { return }
        if first { record.used &+= 1 }
        record.transferred &+= result.wireSent
        record.read &+= result.wireReceived
        if case .replyTimeout = result.attemptResult { record.replyTimeouts &+= 1 }
        guard final else { return }
        switch result.attemptResult {
        case .success, .statusError: break
        case .clientError: record.clientErrors &+= 1
        case .replyTimeout:
            record.errors &+= 1
            record.errorTime = now.milliseconds
        case .internalError, .protocolError, .statusFatal, .backendError, .backendDown:
            record.errors &+= 1
            record.errorTime = now.milliseconds
        }
    }
}

/// Turning the last attempt's outcome into the handler's status and the one error line.
enum Outcomes {
    /// `label` is computed only when a line is written.
    static func finish(
        _ report: inout ServiceReport, result: MemberAttempt.Result, workerLabel label: () -> String, plan: AJPPlan,
        facts: RequestFacts, httpd: HttpdClient
    ) {
        let outcome = result.outcome
        if case .completed = outcome.result, !result.secretRejected {
            report.httpStatus = 0
            if httpd.bytesBeyondLength > 0 {
                // The client got exactly the announced body, so its connection stays in step.
                report.failureLine = "\(label()) sent \(httpd.bytesBeyondLength) body bytes beyond its Content-Length (\(httpd.bytesWritten)): dropped, so the client cannot read them as its next response; the backend connection is not reused"
            }
            return
        }
        let workerLabel = label()
        if result.secretRejected {
            report.secretWarning =
                "\(workerLabel): Tomcat answered 403 and closed the connection right after the request: check the AJP secret (worker.\(plan.name).secret is \(plan.settings.secret == nil ? "not set" : "set") and must equal secret=\"…\" on Tomcat's AJP connector)"
        }
        switch outcome.result {
        case .completed:
            report.httpStatus = 0
        case .serverErrorPage(let status):
            report.httpStatus = Int32(clamping: status)
        case .clientFailed(let error):
            report.failureLevel = .info
            report.failureLine = "client error on \(facts.method) \(facts.loggablePath) (\(workerLabel) is fine): \(error.description)"
            report.httpStatus = outcome.responseStarted ? 0 : 400
        case .requestTooLarge(let part, let needed, let limit):
            report.failureLine =
                "\(facts.method) \(facts.loggablePath): request does not fit the AJP packet of \(workerLabel): needs \(needed) bytes, max_packet_size is \(limit); \(AttemptText.describe(part, facts: facts)) overflowed. Raise max_packet_size here and packetSize on Tomcat's AJP connector together → 413"
            report.httpStatus = 413
        case .rejectedStatus(let status):
            report.failureLevel = .info
            report.failureLine = "\(workerLabel) answered \(status), listed in fail_on_status → 503"
            report.httpStatus = 503
        case .backendFailed(let failure):
            if result.poolExhausted {
                report.failureLine = "\(workerLabel): no free connection within connection_acquire_timeout \(plan.effective.connectionAcquireTimeout.value) ms → 503"
                report.httpStatus = 503
                return
            }
            if outcome.responseStarted {
                if httpd.bodyComplete {
                    // The client has the whole response (its Content-Length); only END_RESPONSE
                    // is missing, so the client connection stays as it is.
                    report.failureLine = "\(workerLabel) sent the whole response (\(outcome.bytesToClient) body bytes, its Content-Length) but broke off before END_RESPONSE (\(failure.description)); the client has the response"
                    report.httpStatus = 0
                } else if !httpd.responseCommitted {
                    report.failureLine = "\(workerLabel) broke off its response (\(failure.description)) before anything reached the client → \(failure.httpStatus)"
                    report.httpStatus = failure.httpStatus
                } else {
                    httpd.abortResponse()
                    report.failureLine = "\(workerLabel) broke off its response after \(outcome.bytesToClient) body bytes (\(failure.description)); the client connection was closed so the client can tell the response is incomplete"
                    report.httpStatus = 0
                }
                return
            }
            let status = failure.httpStatus
            report.failureLine = "\(workerLabel): \(failure.description) → \(status)"
            report.httpStatus = status
        }
    }
}

/// Short texts for attempts and failures.
enum AttemptText {
    static func describe(_ outcome: AttemptOutcome) -> String {
        switch outcome.result {
        case .completed: "\(outcome.status)"
        case .clientFailed(let error): "client: \(error.description)"
        case .backendFailed(let failure): failure.description
        case .rejectedStatus(let status): "\(status) (fail_on_status)"
        case .serverErrorPage(let status): "\(status) (use_server_errors)"
        case .requestTooLarge(_, let needed, let limit): "request too large (\(needed) > \(limit))"
        }
    }

    static func describe(_ part: RequestPart, facts: RequestFacts) -> String {
        switch part {
        case .uri: return "the URI (\(facts.uri.utf8.count) bytes)"
        case .header(let index):
            if let header = facts.headers.describe(index) { return "header '\(header.name)' (\(header.valueLength) bytes)" }
            return "a header"
        case .attribute(let code):
            if code == .queryString { return "the query string (\(facts.queryString?.utf8.count ?? 0) bytes)" }
            if code == .sslCert { return "the client certificate" }
            return "attribute \(code)"
        case .requestAttribute: return "a request attribute (JkEnvVar)"
        case .remoteAddress, .remoteHost, .serverName, .protocolVersion, .method, .prefix: return "the request line"
        case .body: return "the body"
        }
    }
}
