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
    /// Body packets sent ahead that the container never asked for (it stopped reading the
    /// body): the connection is not reused, and the close is not the container's verdict.
    public var unaskedBodyPackets = 0

    public init(result: Result) { self.result = result }
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
    /// `isAlive` is the liveness check used when the backend is silent for `timeouts.liveness`
    /// and no other timeout applies; it is given how long this request has been silent.
    public static func run<C: ClientSide, R: ForwardRequestSource>(
        request: R, body: inout RequestBody, on connection: AJPConnection, client: C,
        timeouts: ExchangeTimeouts, statusPolicy: (Int) -> StatusDecision = { _ in .forward },
        isAlive: (_ silentFor: Milliseconds) -> Bool = { _ in true }, bodyAhead: Int = 0
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
        body.rewind()
        let hasBody: Bool
        do {
            hasBody = try body.writeInitialPacket(into: &connection.writer, from: client)
        } catch {
            endBodyAfterClientFailure(connection, timeouts)
            outcome.result = .clientFailed(error)
            return outcome
        }
        if hasBody, let failure = sendBody(connection, timeouts, &outcome) {
            outcome.result = .backendFailed(failure)
            return outcome
        }
        return exchange(body: &body, connection: connection, client: client, timeouts: timeouts,
                        statusPolicy: statusPolicy, isAlive: isAlive, bodyAhead: bodyAhead, outcome: outcome)
    }

    /// Sends the body packet in the writer; the failure, if any.
    private static func sendBody(
        _ connection: AJPConnection, _ timeouts: ExchangeTimeouts, _ outcome: inout AttemptOutcome
    ) -> BackendFailure? {
        do {
            try connection.sendPacket(timeout: timeouts.socket)
        } catch {
            return BackendFailure(phase: .sendBody, cause: .transport(error))
        }
        outcome.bytesToBackend += Int64(max(0, connection.writer.count - 6))
        return nil
    }

    /// Tomcat must not be left waiting for a body that will never come: send the empty packet.
    private static func endBodyAfterClientFailure(_ connection: AJPConnection, _ timeouts: ExchangeTimeouts) {
        connection.writer.bodyPacket(UnsafeRawBufferPointer(start: nil, count: 0))
        try? connection.sendPacket(timeout: Milliseconds(1000))
    }

    /// Body packets kept in flight ahead of the container's GET_BODY_CHUNK once it reads past
    /// the first packet (docs/architecture.md §5.2): Tomcat then finds the next packet already
    /// on the socket instead of parking the read with its poller, about a third less of its
    /// CPU for an upload. The production value; `run` takes 0 (none, as mod_jk) by default.
    public static let bodyPacketsAhead = 2

    /// Body chunks that arrived together, written together: kept while the next packet is
    /// already in the receive buffer (so their bytes stay put), written before anything else
    /// happens: a read that may wait, another message, the end, a failure.
    static let gatheredChunks = 16

    private static func exchange<C: ClientSide>(
        body: inout RequestBody, connection: AJPConnection, client: C, timeouts: ExchangeTimeouts,
        statusPolicy: (Int) -> StatusDecision, isAlive: (_ silentFor: Milliseconds) -> Bool, bodyAhead: Int,
        outcome start: AttemptOutcome
    ) -> AttemptOutcome {
        withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: gatheredChunks) { chunks in
            exchange(
                body: &body, connection: connection, client: client, timeouts: timeouts, statusPolicy: statusPolicy,
                isAlive: isAlive, bodyAhead: bodyAhead, outcome: start, chunks: chunks)
        }
    }

    private static func exchange<C: ClientSide>(
        body: inout RequestBody, connection: AJPConnection, client: C, timeouts: ExchangeTimeouts,
        statusPolicy: (Int) -> StatusDecision, isAlive: (_ silentFor: Milliseconds) -> Bool, bodyAhead: Int,
        outcome start: AttemptOutcome, chunks: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>
    ) -> AttemptOutcome {
        var outcome = start
        /// Body packets sent that the container has not asked for yet.
        var ahead = 0
        var exchange = AJPExchange(maxPacketSize: connection.maxPacketSize)
        let receiveTimeout = timeouts.receive
        let probing = receiveTimeout.value == 0 && timeouts.liveness.value > 0
        var silence = Milliseconds.zero
        var gathered = 0
        var gatheredBytes: Int64 = 0
        /// The container sent a flush (an empty SEND_BODY_CHUNK).
        var flushed = false
        /// Writes the gathered chunks; false (the outcome says why) when the client is gone.
        func writeGathered() -> Bool {
            guard gathered > 0 else { return true }
            let count = gathered
            gathered = 0
            do {
                try client.writeBodies(UnsafeBufferPointer(rebasing: chunks[0..<count]))
            } catch {
                outcome.result = .clientFailed(error)
                return false
            }
            outcome.bytesToClient += gatheredBytes
            gatheredBytes = 0
            return true
        }
        while true {
            if gathered > 0 && !connection.nextMessageBuffered && !writeGathered() { return outcome }
            let message: ContainerMessage
            let payload: UnsafeRawBufferPointer
            do {
                // Once the headers are in, a body-less request's response is all that can
                // come: its promised length may be waited for (a request body could be asked
                // for in between, so then not; nor once the container flushed: it wants what
                // it sent to reach the client now).
                let promised = exchange.headersReceived && !body.hasBody && !flushed ? client.bodyStillPromised : 0
                (message, payload) = try connection.readMessage(timeout: timeouts.read, promisedBody: promised)
                silence = .zero
            } catch .replyTimeout where probing {
                // Silent, but maybe just slow: ask the backend on another connection.
                silence = Milliseconds(silence.value + timeouts.liveness.value)
                if isAlive(silence) { continue }
                outcome.result = .backendFailed(
                    BackendFailure(phase: exchange.headersReceived ? .streaming : .reply, cause: .hung(silentFor: silence)))
                return outcome
            } catch {
                // Only a malformed packet fails while chunks are gathered (nothing was read):
                // they reach the client first, as if written when they came.
                if !writeGathered() { return outcome }
                let phase: BackendFailure.Phase = exchange.headersReceived ? .streaming : .reply
                var failure = BackendFailure(phase: phase, cause: error)
                if case .replyTimeout = error { failure.bySocketTimeout = timeouts.reply.value <= 0 }
                outcome.result = .backendFailed(failure)
                return outcome
            }
            let headersBefore = exchange.headersReceived
            let action = exchange.received(message)
            if case .writeBody = action {
                // Another chunk: gathered with the others below.
            } else if !writeGathered() {
                return outcome
            }
            switch action {
            case .sendBody(let maxBytes):
                if ahead > 0 {
                    ahead -= 1  // this one is already on its way
                } else {
                    do {
                        try body.writeNextPacket(maxBytes: maxBytes, into: &connection.writer, from: client)
                    } catch {
                        endBodyAfterClientFailure(connection, timeouts)
                        outcome.result = .clientFailed(error)
                        return outcome
                    }
                    if let failure = sendBody(connection, timeouts, &outcome) {
                        outcome.result = .backendFailed(failure)
                        return outcome
                    }
                }
                while ahead < bodyAhead && body.canSendAhead {
                    let written: Bool
                    do {
                        written = try body.writeAheadPacket(maxBytes: maxBytes, into: &connection.writer, from: client)
                    } catch {
                        // Packets already ahead count as body sent; the empty one ends it.
                        endBodyAfterClientFailure(connection, timeouts)
                        outcome.result = .clientFailed(error)
                        return outcome
                    }
                    guard written else { break }
                    if let failure = sendBody(connection, timeouts, &outcome) {
                        outcome.result = .backendFailed(failure)
                        return outcome
                    }
                    ahead += 1
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
                chunks[gathered] = UnsafeRawBufferPointer(rebasing: payload[range])
                gathered += 1
                gatheredBytes += Int64(range.count)
                if gathered == chunks.count && !writeGathered() { return outcome }
            case .flush:
                flushed = true
                do {
                    try client.flush()
                } catch {
                    outcome.result = .clientFailed(error)
                    return outcome
                }
            case .none:
                continue
            case .finish(let reuse):
                // Bytes after END_RESPONSE mean the container is out of step, and so do body
                // packets it never asked for (it stopped reading) and a body longer than its
                // Content-Length: do not reuse.
                outcome.unaskedBodyPackets = ahead
                outcome.result = .completed(reuse: reuse && ahead == 0 && !connection.hasBufferedBytes && client.bytesBeyondLength == 0)
                return outcome
            case .fail(let problem):
                outcome.result = .backendFailed(
                    BackendFailure(phase: headersBefore ? .streaming : .reply, cause: .protocolError(problem)))
                return outcome
            }
        }
    }
}
