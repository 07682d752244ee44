import Glibc
import JKCore

/// Runs a system call, retrying on EINTR, and maps failures to `TransportError`.
///
/// Every syscall of the module goes through here or through `JKPosix`'s other files, the way
/// swift-nio's `SystemCallHelpers.swift` funnels them (docs/architecture.md §11.3).
@inline(__always)
func retryingEINTR<T: FixedWidthInteger>(_ function: StaticString, _ body: () -> T) throws(TransportError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw TransportError.fromErrno(code, function: function)
    }
}

extension TransportError {
    static func fromErrno(_ code: Int32, function: StaticString) -> TransportError {
        switch code {
        case ECONNREFUSED: return .refused
        case ECONNRESET, EPIPE, ENOTCONN: return .reset
        case EAGAIN, ETIMEDOUT, EINPROGRESS: return .timedOut
        default: return .system(function: "\(function)", errno: code, message: errnoMessage(code))
        }
    }
}

/// strerror_r's text for an errno value.
public func errnoMessage(_ code: Int32) -> String {
    // Swift sees the XSI strerror_r: it fills the buffer and returns 0.
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer -> String in
        guard let base = buffer.baseAddress, strerror_r(code, base, 256) == 0 else { return "errno \(code)" }
        base[255] = 0
        return String(cString: base)
    }
}

/// The calling thread's errno.
public var currentErrno: Int32 { errno }
