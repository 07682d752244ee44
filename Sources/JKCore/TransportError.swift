/// Why talking to a backend (or a client) failed, in words the jk log can use directly.
///
/// Shared by the socket edge (`JKPosix`) and the AJP shell (`JKClient`), which only knows streams.
public enum TransportError: Error, Equatable, Sendable {
    /// The host name did not resolve.
    case unresolved(host: String, reason: String)
    /// ECONNREFUSED: nothing listens on the port.
    case refused
    /// The operation did not complete in time.
    case timedOut
    /// ECONNRESET / EPIPE: the peer reset or closed the connection while we wrote.
    case reset
    /// The peer closed the connection (EOF) where more data was expected.
    case closed
    /// Any other failing system call.
    case system(function: String, errno: Int32, message: String)

    public var description: String {
        switch self {
        case .unresolved(let host, let reason): "cannot resolve host '\(host)': \(reason)"
        case .refused: "connection refused"
        case .timedOut: "timed out"
        case .reset: "connection reset"
        case .closed: "connection closed by peer"
        case .system(let function, let errno, let message): "\(function) failed: \(message) (errno=\(errno))"
        }
    }
}
