/// The protocol state of one request on one connection, after FORWARD_REQUEST (and the first body
/// packet, if any) went out: container messages in, actions out.
///
/// It replaces the flag variables of a hand-written loop (`headers_sent`, `body_ended`, …) with a
/// state and one function per event. The shell performs the actions; this type does no I/O.
///
/// Legal sequence from the container:
/// `GET_BODY_CHUNK* SEND_HEADERS (SEND_BODY_CHUNK | GET_BODY_CHUNK)* END_RESPONSE`.
public struct AJPExchange: Sendable {
    public enum State: Equatable, Sendable {
        /// Valid transitions to: `.streamingBody`, `.failed`.
        case awaitingHeaders
        /// Valid transitions to: `.ended`, `.failed`.
        case streamingBody
        case ended(reuse: Bool)
        case failed
    }

    public enum Action: Equatable, Sendable {
        /// Read up to `maxBytes` of the client's body and send them as one body packet; send the
        /// empty packet when the client body is exhausted.
        case sendBody(maxBytes: Int)
        /// Map status, reason and headers onto the client response.
        case startResponse(SendHeaders)
        /// Write this range of the current payload to the client.
        case writeBody(Range<Int>)
        /// A zero-length body chunk: flush what the client has so far.
        case flush
        /// Nothing to do (a stray empty chunk before the headers, tolerated as mod_jk does).
        case none
        /// The response is complete; `reuse` tells whether the connection may serve another request.
        case finish(reuse: Bool)
        /// The container broke the protocol; the connection must be closed.
        case fail(AJPProtocolError)
    }

    public private(set) var state: State = .awaitingHeaders
    /// Largest body data one request body packet may carry.
    public let maxBodyChunk: Int

    public init(maxPacketSize: Int) {
        self.maxBodyChunk = AJPPacketSize.maxRequestBodyChunk(packetSize: maxPacketSize)
    }

    public var headersReceived: Bool {
        switch state {
        case .awaitingHeaders: false
        case .streamingBody, .ended: true
        case .failed: false
        }
    }

    public mutating func received(_ message: ContainerMessage) -> Action {
        switch (state, message) {
        case (.awaitingHeaders, .sendHeaders(let headers)):
            state = .streamingBody
            return .startResponse(headers)
        case (.streamingBody, .sendHeaders):
            return fail(.unexpected(.sendHeaders, whileIn: "streaming the body (second SEND_HEADERS)"))
        case (.awaitingHeaders, .sendBodyChunk(let range)):
            if range.isEmpty { return .none }
            return fail(.unexpected(.sendBodyChunk, whileIn: "waiting for SEND_HEADERS"))
        case (.streamingBody, .sendBodyChunk(let range)):
            return range.isEmpty ? .flush : .writeBody(range)
        case (.awaitingHeaders, .getBodyChunk(let requested)), (.streamingBody, .getBodyChunk(let requested)):
            // Tomcat asks for packetSize - 6 bytes; never send more than one packet holds.
            return .sendBody(maxBytes: min(max(requested, 0), maxBodyChunk))
        case (.awaitingHeaders, .endResponse):
            return fail(.unexpected(.endResponse, whileIn: "waiting for SEND_HEADERS"))
        case (.streamingBody, .endResponse(let reuse)):
            state = .ended(reuse: reuse)
            return .finish(reuse: reuse)
        case (.awaitingHeaders, .cpong), (.streamingBody, .cpong):
            return fail(.unexpected(.cpong, whileIn: "serving a request"))
        case (.ended, _), (.failed, _):
            return fail(.unexpected(message.type, whileIn: "the response had ended"))
        }
    }

    private mutating func fail(_ error: AJPProtocolError) -> Action {
        state = .failed
        return .fail(error)
    }
}
