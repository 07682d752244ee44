import Glibc
import JKCore
import JKPosix
import Testing

/// `BlockingSocket.read(into:timeout:gathering:)` on loopback: it returns the promised bytes
/// together, and a peer that sends fewer costs the grace period, not the timeout.
struct GatheringReadTests {
    /// A connected pair: the BlockingSocket and the accepted peer descriptor.
    static func pair() throws -> (BlockingSocket, Int32) {
        let (listener, port) = PosixTests.loopbackSocket()
        defer { close(listener) }
        #expect(listen(listener, 1) == 0)
        let target = try SocketAddress.resolve(host: "127.0.0.1", port: port)
        let connection = try BlockingSocket.connect(to: target, options: .init(connectTimeout: Milliseconds(1000)))
        let peer = accept(listener, nil, nil)
        #expect(peer >= 0)
        return (connection, peer)
    }

    static func send(_ peer: Int32, _ count: Int) {
        let bytes = [UInt8](repeating: 0x2A, count: count)
        #expect(bytes.withUnsafeBytes { Glibc.send(peer, $0.baseAddress, count, 0) } == count)
    }

    static func read(_ connection: BlockingSocket, gathering: Int) throws -> Int {
        var buffer = [UInt8](repeating: 0, count: 4096)
        return try buffer.withUnsafeMutableBytes { try connection.read(into: $0, timeout: Milliseconds(5000), gathering: gathering) }
    }

    @Test func promisedBytesSentInPartsAreReadTogether() throws {
        let (connection, peer) = try Self.pair()
        defer { close(peer) }
        Self.send(peer, 1000)
        Self.send(peer, 1000)
        Self.send(peer, 1000)
        #expect(try Self.read(connection, gathering: 3000) == 3000)
    }

    @Test func fewerBytesThanPromisedEndTheWaitAfterTheGrace() throws {
        let (connection, peer) = try Self.pair()
        defer { close(peer) }
        Self.send(peer, 10)
        let started = SystemClock.now()
        #expect(try Self.read(connection, gathering: 3000) == 10)
        let waited = (SystemClock.now() - started).value
        #expect(waited < 1000, "waited \(waited) ms: the grace is \(BlockingSocket.gatherGrace.value) ms, the timeout 5 s")
        // The next read without a promise returns the first bytes that come.
        Self.send(peer, 5)
        #expect(try Self.read(connection, gathering: 0) == 5)
    }

    /// A promise larger than the socket's own (locked, small) buffer can hold: the kernel caps
    /// the mark, and the read returns what came without waiting for the rest.
    @Test func aPromiseBeyondASmallSocketBufferReturnsWhatCame() throws {
        let (listener, port) = PosixTests.loopbackSocket()
        defer { close(listener) }
        #expect(listen(listener, 1) == 0)
        let target = try SocketAddress.resolve(host: "127.0.0.1", port: port)
        let connection = try BlockingSocket.connect(to: target, options: .init(connectTimeout: Milliseconds(1000), bufferSize: 4096))
        let peer = accept(listener, nil, nil)
        defer { close(peer) }
        Self.send(peer, 3000)
        let started = SystemClock.now()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = try buffer.withUnsafeMutableBytes { try connection.read(into: $0, timeout: Milliseconds(5000), gathering: 60000) }
        let waited = (SystemClock.now() - started).value
        #expect(count == 3000)
        #expect(waited < 1000, "waited \(waited) ms")
    }

    @Test func aPeerClosingEndsTheWait() throws {
        let (connection, peer) = try Self.pair()
        Self.send(peer, 10)
        close(peer)
        #expect(try Self.read(connection, gathering: 3000) == 10)
        #expect(try Self.read(connection, gathering: 3000) == 0)
    }
}
