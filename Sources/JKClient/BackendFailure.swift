import AJP13
import JKCore

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

    public enum Cause: Error, Equatable, Sendable {
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
    /// A `.replyTimeout` that was `socket_timeout`'s (no `reply_timeout` set): only the log
    /// text differs.
    public var bySocketTimeout = false

    public init(phase: Phase, cause: Cause) {
        self.phase = phase
        self.cause = cause
    }

    public var isHung: Bool {
        if case .hung = cause { return true }
        return false
    }

    /// Closed or reset with nothing received: what a connection the container dropped while
    /// idle looks like (a pooled connection may be replaced by a fresh one once).
    public var diedQuietly: Bool {
        switch cause {
        case .closedWithoutReply, .transport(.reset), .transport(.closed): phase == .send || phase == .reply || phase == .sendBody
        default: false
        }
    }

    /// The status httpd answers with when no other member can take the request: 503 when the
    /// backend could not be reached, 504 when it did not answer in time, 502 when it answered
    /// wrongly or broke off.
    public var httpStatus: Int32 {
        switch cause {
        case .replyTimeout, .hung: 504
        case .protocolError, .notCPong, .closedWithoutReply, .closedMidPacket: 502
        case .transport(let error): phase == .connect ? 503 : error == .timedOut ? 504 : 502
        }
    }

    /// The one text for each cause, used by every log line that names a backend failure:
    /// "connect refused (nothing listens on the port)", "no CPONG within 3000 ms (…)", …
    public var description: String {
        switch (phase, cause) {
        case (.connect, .transport(.refused)): "connect refused (nothing listens on the port)"
        case (.connect, .transport(.timedOut)): "connect timed out (socket_connect_timeout)"
        case (.cping, .replyTimeout(let limit)): "no CPONG within \(limit.value) ms (backend hung, or port bound but not answering)"
        case (_, .protocolError(.httpAnswer)): "port does not speak AJP (got an HTTP answer)"
        case (_, .protocolError(.tlsAnswer)): "port does not speak AJP (got a TLS answer)"
        case (_, .replyTimeout(let limit)): "no reply within \(limit.value) ms (\(bySocketTimeout ? "socket_timeout" : "reply_timeout"))"
        case (_, .hung(let silence)): "backend hung: no reply for \(silence.value) ms and no CPONG on a new connection"
        case (.streaming, .closedWithoutReply): "backend closed the connection before the end of the response"
        case (_, .closedWithoutReply): "backend closed the connection without a reply"
        case (let phase, .closedMidPacket): "backend closed the connection in the middle of a packet while \(phase.rawValue)"
        case (let phase, .transport(.reset)): "connection reset by the backend while \(phase.rawValue)"
        case (let phase, .transport(.timedOut)): "\(phase.rawValue) timed out"
        case (let phase, .transport(let error)): "\(phase.rawValue): \(error.description)"
        case (let phase, .protocolError(let error)): "\(phase.rawValue): \(error.description)"
        case (_, .notCPong(let type)): "CPING answered with \(type.name) instead of CPONG"
        }
    }
}
