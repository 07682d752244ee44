import AJP13

/// The browser's side of a request, as the AJP shell sees it: httpd in production, a recorder in
/// tests. Every failure here is a *client* failure: it never puts a backend in error.
public protocol ClientSide {
    /// Reads request body bytes; returns 0 at the end of the body.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int
    /// Reads only body bytes the client has already sent, without waiting; 0 when there are
    /// none now. Used for body packets sent ahead of the container's request, which must never
    /// wait on the client (docs/architecture.md §5.2).
    func readAvailableBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int
    /// Applies status, reason and headers of a validated SEND_HEADERS. `payload` holds the strings.
    func startResponse(_ headers: SendHeaders, payload: UnsafeRawBufferPointer) throws(ClientError)
    /// Writes response body bytes.
    func writeBody(_ bytes: UnsafeRawBufferPointer) throws(ClientError)
    /// Writes body chunks that arrived together, in order, as one write where the client can
    /// (httpd: one pass down the output filters, one `writev`). The bytes are valid only during
    /// the call.
    func writeBodies(_ slices: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws(ClientError)
    /// Pushes what was written so far to the client (a zero-length SEND_BODY_CHUNK).
    func flush() throws(ClientError)
    /// Body bytes dropped because the container sent more than its own Content-Length: a
    /// container that does that is out of step, so its connection is not reused.
    var bytesBeyondLength: Int64 { get }
    /// Response body bytes the container's Content-Length still promises: 0 when it gave none,
    /// the response has no body (HEAD, 204, 304) or all of it was written.
    var bodyStillPromised: Int64 { get }
}

extension ClientSide {
    /// Nothing is ever dropped.
    public var bytesBeyondLength: Int64 { 0 }

    /// No promise: every read takes what has come.
    public var bodyStillPromised: Int64 { 0 }

    /// Nothing is ever ready: no packet goes ahead.
    public func readAvailableBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int { 0 }

    /// One `writeBody` per chunk.
    public func writeBodies(_ slices: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws(ClientError) {
        for slice in slices { try writeBody(slice) }
    }
}

public enum ClientError: Error, Equatable, Sendable {
    /// The client went away while we wrote the response.
    case aborted
    /// Reading the request body failed (client aborted or timed out mid-body).
    case readFailed
    /// The request body is longer than its Content-Length, or otherwise malformed.
    case badBody

    public var description: String {
        switch self {
        case .aborted: "client aborted the connection while the response was written"
        case .readFailed: "reading the request body from the client failed (client aborted or timed out)"
        case .badBody: "the request body from the client is malformed"
        }
    }
}
