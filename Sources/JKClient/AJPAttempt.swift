import AJP13
import JKCore

/// How one attempt to serve a request on one connection ended, classified for the retry and
/// member-state decisions (which side failed, and how far the request got).
public struct AttemptOutcome: Equatable, Sendable {
    public enum Result: Equatable, Sendable {
        /// END_RESPONSE arrived; `reuse` says whether the connection may be pooled.
        case completed(reuse: Bool)
        /// The backend failed: connect, CPING, send, receive or protocol.
        case backendFailed(BackendFailure)
        /// The client failed (aborted, body read error). Never the member's fault.
        case clientFailed(ClientError)
        /// The status is listed in `fail_on_status`: the response was suppressed.
        case rejectedStatus(Int)
        /// The status is at or above `use_server_errors`: httpd answers with its own error page.
        case serverErrorPage(Int)
        /// FORWARD_REQUEST does not fit `max_packet_size`.
        case requestTooLarge(part: RequestPart, needed: Int, limit: Int)
    }

    public var result: Result
    /// FORWARD_REQUEST was handed to the kernel: the container may have started processing it.
    public var requestSent = false
    /// Response headers went to the client: nothing can be retried any more.
    public var responseStarted = false
    /// The HTTP status the container sent (0 when none).
    public var status = 0
    /// Body bytes sent to the container (request) and to the client (response).
    public var bytesToBackend: Int64 = 0
    public var bytesToClient: Int64 = 0

    public init(result: Result) { self.result = result }
}

/// A backend-side failure with its phase, for "which side failed and how" log lines.
public struct BackendFailure: Error, Equatable, Sendable {
    public enum Phase: String, Sendable {
        case connect = "connect"
        case cping = "CPING"
        case send = "sending the request"
        case sendBody = "sending the request body"
        case reply = "waiting for the reply"
        case streaming = "reading the response body"
    }

    public enum Cause: Equatable, Sendable {
        case transport(TransportError)
        case protocolError(AJPProtocolError)
        /// CPING answered by something else than CPONG.
        case notCPong(PacketType)
        /// `reply_timeout` (or `socket_timeout`) expired between two packets.
        case replyTimeout(Milliseconds)
        /// The backend stayed silent and did not answer a CPING on a fresh connection either:
        /// it is hung (a stopped JVM, a full thread pool).
        case hung(silentFor: Milliseconds)
        /// The container closed the connection without sending anything (more).
        case closedWithoutReply
        /// The container closed the connection in the middle of a packet.
        case closedMidPacket
    }

    public var phase: Phase
    public var cause: Cause

    public init(phase: Phase, cause: Cause) {
        self.phase = phase
        self.cause = cause
    }

    public var isHung: Bool {
        if case .hung = cause { return true }
        return false
    }

    public var isReplyTimeout: Bool {
        if case .replyTimeout = cause { return true }
        return false
    }

    /// "connect: connection refused", "waiting for the reply: timed out after 3000 ms", …
    public var description: String {
        switch cause {
        case .transport(.timedOut): return "\(phase.rawValue) timed out"
        case .transport(let error): return "\(phase.rawValue): \(error.description)"
        case .protocolError(let error): return "\(phase.rawValue): \(error.description)"
        case .notCPong(let type): return "CPING answered with \(type.name) instead of CPONG"
        case .replyTimeout(let limit): return "no reply packet within reply_timeout \(limit.value) ms"
        case .hung(let silence): return "backend hung: silent for \(silence.value) ms and no CPONG on a new connection"
        case .closedWithoutReply: return "\(phase.rawValue): connection closed by the backend without a reply"
        case .closedMidPacket: return "\(phase.rawValue): the backend closed the connection in the middle of a packet"
        }
    }
}

/// What to do with a response status (`fail_on_status`, `use_server_errors`).
public enum StatusDecision: Sendable {
    case forward
    /// Suppress the response and let the balancer try another member.
    case failOver
    /// Suppress the response; httpd answers with its own error page for that status.
    case serverErrorPage
}

/// The timeouts that apply while one request runs on a connection.
public struct ExchangeTimeouts: Equatable, Sendable {
    /// `socket_timeout`, for every send and receive; zero = none.
    public var socket: Milliseconds
    /// `reply_timeout`, between two packets from the container; zero = none (falls back to
    /// `socket`).
    public var reply: Milliseconds

    /// With no reply or socket timeout: after this much silence, check the backend with a CPING
    /// on a separate connection (the exchange continues while it answers); zero = off.
    public var liveness: Milliseconds

    public init(socket: Milliseconds, reply: Milliseconds, liveness: Milliseconds = .zero) {
        self.socket = socket
        self.reply = reply
        self.liveness = liveness
    }

    var receive: Milliseconds { reply.value > 0 ? reply : socket }

    /// The wait for one read: the configured timeout, or the liveness interval when neither
    /// timeout is set.
    var read: Milliseconds { receive.value > 0 ? receive : liveness }
}

/// Runs one request over one connection: sends FORWARD_REQUEST (and the first body packet), then
/// drives `AJPExchange` until END_RESPONSE or a failure.
public enum AJPAttempt {
    /// `isAlive` is the liveness check (a CPING on a new connection) used when the backend is
    /// silent for `timeouts.liveness` and no other timeout applies.
    public static func run<C: ClientSide, R: ForwardRequestSource>(
        request: R, body: inout RequestBody, on connection: AJPConnection, client: C,
        timeouts: ExchangeTimeouts, statusPolicy: (Int) -> StatusDecision = { _ in .forward },
        isAlive: () -> Bool = { true }
    ) -> AttemptOutcome {
        var outcome = AttemptOutcome(result: .completed(reuse: false))
        guard request.encode(into: &connection.writer) else {
            outcome.result = .requestTooLarge(
                part: connection.writer.overflow ?? .prefix, needed: connection.writer.needed, limit: connection.writer.limit)
            return outcome
        }
        do {
            try connection.sendPacket(timeout: timeouts.socket)
        } catch {
            outcome.result = .backendFailed(BackendFailure(phase: .send, cause: .transport(error)))
            return outcome
        }
        outcome.requestSent = true
        do {
            body.rewind()
            if try body.writeInitialPacket(into: &connection.writer, from: client) {
                try sendBody(connection, timeouts, &outcome)
            }
        } catch let error as ClientError {
            endBodyAfterClientFailure(connection, timeouts)
            outcome.result = .clientFailed(error)
            return outcome
        } catch {
            return outcome
        }
        return exchange(body: &body, connection: connection, client: client, timeouts: timeouts,
                        statusPolicy: statusPolicy, isAlive: isAlive, outcome: outcome)
    }

    private static func sendBody(_ connection: AJPConnection, _ timeouts: ExchangeTimeouts, _ outcome: inout AttemptOutcome) throws(AttemptAbort) {
        do {
            try connection.sendPacket(timeout: timeouts.socket)
            outcome.bytesToBackend += Int64(max(0, connection.writer.count - 6))
        } catch {
            outcome.result = .backendFailed(BackendFailure(phase: .sendBody, cause: .transport(error)))
            throw AttemptAbort()
        }
    }

    private struct AttemptAbort: Error {}

    /// Tomcat must not be left waiting for a body that will never come: send the empty packet.
    private static func endBodyAfterClientFailure(_ connection: AJPConnection, _ timeouts: ExchangeTimeouts) {
        connection.writer.bodyPacket(UnsafeRawBufferPointer(start: nil, count: 0))
        try? connection.sendPacket(timeout: Milliseconds(1000))
    }

    private static func exchange<C: ClientSide>(
        body: inout RequestBody, connection: AJPConnection, client: C, timeouts: ExchangeTimeouts,
        statusPolicy: (Int) -> StatusDecision, isAlive: () -> Bool, outcome start: AttemptOutcome
    ) -> AttemptOutcome {
        var outcome = start
        var exchange = AJPExchange(maxPacketSize: connection.maxPacketSize)
        let receiveTimeout = timeouts.receive
        let probing = receiveTimeout.value == 0 && timeouts.liveness.value > 0
        var silence = Milliseconds.zero
        while true {
            let message: ContainerMessage
            let payload: UnsafeRawBufferPointer
            do {
                (message, payload) = try connection.readMessage(timeout: timeouts.read)
                silence = .zero
            } catch .transport(.timedOut) where probing {
                // Silent, but maybe just slow: ask the backend on another connection.
                silence = Milliseconds(silence.value + timeouts.liveness.value)
                if isAlive() { continue }
                outcome.result = .backendFailed(
                    BackendFailure(phase: exchange.headersReceived ? .streaming : .reply, cause: .hung(silentFor: silence)))
                return outcome
            } catch {
                let phase: BackendFailure.Phase = exchange.headersReceived ? .streaming : .reply
                let cause: BackendFailure.Cause
                switch error {
                case .transport(.timedOut): cause = .replyTimeout(receiveTimeout)
                case .transport(let transport): cause = .transport(transport)
                case .protocolError(let problem): cause = .protocolError(problem)
                case .closedBeforePacket: cause = .closedWithoutReply
                case .closedMidPacket: cause = .closedMidPacket
                }
                outcome.result = .backendFailed(BackendFailure(phase: phase, cause: cause))
                return outcome
            }
            let headersBefore = exchange.headersReceived
            switch exchange.received(message) {
            case .sendBody(let maxBytes):
                do {
                    try body.writeNextPacket(maxBytes: maxBytes, into: &connection.writer, from: client)
                } catch {
                    endBodyAfterClientFailure(connection, timeouts)
                    outcome.result = .clientFailed(error)
                    return outcome
                }
                do {
                    try sendBody(connection, timeouts, &outcome)
                } catch {
                    return outcome
                }
            case .startResponse(let headers):
                outcome.status = headers.status
                switch statusPolicy(headers.status) {
                case .forward: break
                case .failOver:
                    outcome.result = .rejectedStatus(headers.status)
                    return outcome
                case .serverErrorPage:
                    outcome.result = .serverErrorPage(headers.status)
                    return outcome
                }
                do {
                    try client.startResponse(headers, payload: payload)
                } catch {
                    outcome.result = .clientFailed(error)
                    return outcome
                }
                outcome.responseStarted = true
            case .writeBody(let range):
                do {
                    try client.writeBody(UnsafeRawBufferPointer(rebasing: payload[range]))
                } catch {
                    outcome.result = .clientFailed(error)
                    return outcome
                }
                outcome.bytesToClient += Int64(range.count)
            case .flush:
                do {
                    try client.flush()
                } catch {
                    outcome.result = .clientFailed(error)
                    return outcome
                }
            case .none:
                continue
            case .finish(let reuse):
                // Bytes after END_RESPONSE mean the container is out of step: do not reuse.
                outcome.result = .completed(reuse: reuse && !connection.hasBufferedBytes)
                return outcome
            case .fail(let problem):
                outcome.result = .backendFailed(
                    BackendFailure(phase: headersBefore ? .streaming : .reply, cause: .protocolError(problem)))
                return outcome
            }
        }
    }
}
