import AJP13
import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKRouting

/// One attempt of a request on one ajp13 worker: take a connection, run the exchange, give the
/// connection back (or drop it). A pooled connection that turns out dead before any reply is
/// replaced by a fresh one once, without counting against the worker.
struct MemberAttempt {
    struct Result {
        var outcome: AttemptOutcome
        /// The pool had no free connection within `connection_acquire_timeout`.
        var poolExhausted = false
        /// The attempt ran on a connection reused from the pool.
        var reusedConnection = false
        /// How the balancer should count it.
        var attemptResult: AttemptResult
        var cause: FailureCause
        /// Tomcat answered 403 and closed the connection: how it rejects a wrong or missing secret.
        var secretRejected = false
        /// AJP bytes sent and received on the wire during the exchange (mod_jk's wr/rd).
        var wireSent: UInt64 = 0
        var wireReceived: UInt64 = 0
    }

    static func run(
        plan: AJPPlan, client: WorkerClient, request: RequestEncoder, body: inout RequestBody, httpd: HttpdClient,
        extensions: MountExtensions?, replyTimeoutOverride: Int?, useServerErrors: Int?, log: JKLog
    ) -> Result {
        let live = plan.live
        var timeouts = plan.exchangeTimeouts(live)
        // JK_REPLY_TIMEOUT below 0 is ignored, as in mod_jk.
        if let override = replyTimeoutOverride.flatMap({ $0 >= 0 ? $0 : nil }) ?? extensions?.replyTimeout.map({ Int($0.value) }) {
            timeouts.reply = Milliseconds(max(0, override))
        }
        let failOnStatus = extensions?.failOnStatus
        var freshRetryUsed = false
        while true {
            let lease: WorkerClient.Lease
            // Pooled connections are peeked at before use; one that still dies before anything
            // came back is replaced below (for requests that may be repeated).
            switch client.acquire() {
            case .success(let value):
                lease = value
            case .failure(.poolExhausted):
                var outcome = AttemptOutcome(result: .backendFailed(BackendFailure(phase: .connect, cause: .transport(.timedOut))))
                outcome.requestSent = false
                return Result(outcome: outcome, poolExhausted: true, attemptResult: .internalError, cause: .other)
            case .failure(.backend(let failure)):
                // Nothing reached the container: refused, connect timeout or no CPONG.
                let outcome = AttemptOutcome(result: .backendFailed(failure))
                let down = failure.cause == .transport(.refused) || failure.phase == .cping
                return Result(outcome: outcome, attemptResult: down ? .backendDown : .backendError, cause: cause(of: failure))
            }
            PacketTrace.attach(to: lease.connection, worker: plan.name, secret: request.secret, log: log)
            let (sentBefore, receivedBefore) = (lease.connection.bytesSent, lease.connection.bytesReceived)
            let outcome = AJPAttempt.run(
                request: request, body: &body, on: lease.connection, client: httpd, timeouts: timeouts,
                // A closure literal, not a stored one: its context stays on the stack (a stored
                // closure was one heap allocation a request).
                statusPolicy: { status in
                    if plan.failOnStatus(status, override: failOnStatus) != nil { return .failOver }
                    if let limit = useServerErrors, status >= limit { return .serverErrorPage }
                    return .forward
                },
                isAlive: { _ in
                    // A request that finished on this worker within the last ping_timeout: the
                    // backend is busy, not hung. A Tomcat whose threads are all taken answers a
                    // CPING only when one frees up, so the probe alone would take a saturated
                    // Tomcat for a hung one and abandon (and repeat) work it is doing. Only the
                    // last window counts: progress that stopped is no longer progress.
                    if client.answered(within: Milliseconds(live.pingTimeout)) { return true }
                    if case .success = client.probe(timeout: Milliseconds(live.pingTimeout)) { return true }
                    return false
                },
                bodyAhead: AJPAttempt.bodyPacketsAhead)
            // Read before the connection goes back to the pool (another thread may take it).
            let wireSent = lease.connection.bytesSent &- sentBefore
            let wireReceived = lease.connection.bytesReceived &- receivedBefore
            func counted(_ result: Result) -> Result {
                var result = result
                result.wireSent = wireSent
                result.wireReceived = wireReceived
                return result
            }
            switch outcome.result {
            case .completed(let reuse):
                client.release(lease.connection, reusable: reuse && !httpd.disableReuse)
                var result = Result(outcome: outcome, reusedConnection: !lease.fresh, attemptResult: .success, cause: .none)
                // Not a 403 whose connection is dropped only for bytes beyond its Content-Length.
                result.secretRejected = outcome.status == 403 && !reuse && outcome.unaskedBodyPackets == 0
                    && httpd.bytesBeyondLength == 0
                return counted(result)
            case .clientFailed:
                client.discard(lease.connection, abort: Int(live.recoveryOptions) & RetryPolicy.closeBackendOnClientError != 0)
                return counted(Result(outcome: outcome, reusedConnection: !lease.fresh, attemptResult: .clientError, cause: .none))
            case .requestTooLarge:
                client.release(lease.connection, reusable: true)
                return counted(Result(outcome: outcome, reusedConnection: !lease.fresh, attemptResult: .internalError, cause: .none))
            case .rejectedStatus(let status):
                client.discard(lease.connection)
                let fatal = plan.failOnStatus(status, override: failOnStatus) == .statusFatal
                return counted(Result(
                    outcome: outcome, reusedConnection: !lease.fresh, attemptResult: fatal ? .statusFatal : .statusError,
                    cause: .failOnStatus))
            case .serverErrorPage:
                client.discard(lease.connection)
                return counted(Result(outcome: outcome, reusedConnection: !lease.fresh, attemptResult: .success, cause: .none))
            case .backendFailed(let failure):
                client.discard(lease.connection)
                // A reused connection that died before anything came back: the container most
                // likely closed it while idle. One fresh connection, no penalty.
                if !lease.fresh, !freshRetryUsed, !outcome.responseStarted, outcome.status == 0, failure.diedQuietly,
                    RetryPolicy.mayRetry(
                        method: request.method, hasBody: body.hasBody, bodyReplayable: body.isReplayable,
                        requestSent: false, responseStarted: false, recoveryOptions: Int(live.recoveryOptions)),
                    !outcome.requestSent || RetryPolicy.isIdempotent(request.method) && !body.hasBody
                {
                    freshRetryUsed = true
                    continue
                }
                let result: AttemptResult
                switch failure.cause {
                case .replyTimeout: result = .replyTimeout
                case .protocolError: result = .protocolError
                case .hung: result = .backendDown
                default: result = .backendError
                }
                return counted(Result(outcome: outcome, reusedConnection: !lease.fresh, attemptResult: result, cause: cause(of: failure)))
            }
        }
    }

    static func cause(of failure: BackendFailure) -> FailureCause {
        switch failure.cause {
        case .transport(.refused): return .connectRefused
        case .transport(.timedOut): return failure.phase == .connect ? .connectTimeout : .replyTimeout
        case .transport(.reset), .transport(.closed), .closedWithoutReply, .closedMidPacket: return .reset
        case .replyTimeout: return failure.phase == .cping ? .cpingTimeout : .replyTimeout
        case .protocolError(.httpAnswer), .protocolError(.tlsAnswer): return .notAJP
        case .protocolError, .notCPong: return .protocolError
        case .hung: return .hung
        case .transport: return .other
        }
    }
}
