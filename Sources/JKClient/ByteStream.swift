import JKCore

/// The only I/O seam of the AJP shell: a connected, blocking byte stream.
///
/// The composition root conforms `JKPosix.BlockingSocket` to it; tests use in-memory streams or
/// a scripted container on loopback.
public protocol ByteStream: AnyObject {
    /// Writes every byte; `timeout` .zero waits forever.
    func write(_ bytes: UnsafeRawBufferPointer, timeout: Milliseconds) throws(TransportError)
    /// Reads up to `buffer.count` bytes; returns 0 when the peer closed. `timeout` .zero waits
    /// forever, otherwise throws `.timedOut`.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds) throws(TransportError) -> Int
    /// As `read`, told that the peer has promised at least `gathering` more bytes (0: nothing
    /// promised). A stream may wait, briefly, until that many have arrived, so a large response
    /// costs one wake-up instead of one per packet (docs/architecture.md §5.1); it must not wait
    /// for ever on a promise the peer breaks.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds, gathering: Int) throws(TransportError) -> Int
    /// True when the peer closed or sent unexpected bytes while the stream sat idle.
    func isStale() -> Bool
    func close()
    /// Closes with a reset, abandoning a half-read response.
    func abort()
}

extension ByteStream {
    /// Streams without a way to wait for many bytes at once ignore the promise.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds, gathering: Int) throws(TransportError) -> Int {
        try read(into: buffer, timeout: timeout)
    }
}
