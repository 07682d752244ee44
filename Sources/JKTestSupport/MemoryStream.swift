import JKClient
import JKCore

/// An in-memory `ByteStream`: reads follow a script, writes are recorded. For tests of the
/// connection and the exchange that need no socket (a scripted container on loopback is
/// `AJPTestServer`).
public final class MemoryStream: ByteStream {
    /// One step of what the container "sends".
    public enum Read: Sendable {
        /// These bytes (a read returns at most the caller's buffer; the rest stays queued).
        case bytes([UInt8])
        /// The container closed: a read returns 0.
        case end
        case fail(TransportError)
    }

    private var script: [Read]
    public private(set) var written: [UInt8] = []
    public private(set) var closed = false
    public private(set) var aborted = false
    /// Fail every write with this error.
    public var writeError: TransportError?

    public init(_ script: [Read]) { self.script = script }

    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Milliseconds) throws(TransportError) {
        if let writeError { throw writeError }
        written.append(contentsOf: bytes)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds) throws(TransportError) -> Int {
        guard let step = script.first else { throw .timedOut }
        switch step {
        case .end:
            return 0
        case .fail(let error):
            script.removeFirst()
            throw error
        case .bytes(let bytes):
            let count = min(buffer.count, bytes.count)
            for index in 0..<count { buffer[index] = bytes[index] }
            if count == bytes.count { script.removeFirst() } else { script[0] = .bytes(Array(bytes[count...])) }
            return count
        }
    }

    public func isStale() -> Bool { false }
    public func close() { closed = true }
    public func abort() { aborted = true }
}
