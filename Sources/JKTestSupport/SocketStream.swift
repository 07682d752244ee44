import JKClient
import JKCore
import JKPosix

/// A `ByteStream` over a real socket for tests (production conforms `BlockingSocket` itself in
/// the composition root).
public final class SocketStream: ByteStream {
    let socket: BlockingSocket

    public init(_ socket: BlockingSocket) { self.socket = socket }

    public static func connect(_ address: SocketAddress, timeout: Milliseconds = Milliseconds(1000)) throws(TransportError) -> SocketStream {
        SocketStream(try BlockingSocket.connect(to: address, options: .init(connectTimeout: timeout)))
    }

    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Milliseconds) throws(TransportError) {
        try socket.write(bytes, timeout: timeout)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds) throws(TransportError) -> Int {
        try socket.read(into: buffer, timeout: timeout)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds, gathering: Int) throws(TransportError) -> Int {
        try socket.read(into: buffer, timeout: timeout, gathering: gathering)
    }

    public func isStale() -> Bool { socket.isStale() }
    public func close() { socket.close() }
    public func abort() { socket.abort() }
}
