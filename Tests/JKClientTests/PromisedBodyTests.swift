import AJP13
import Foundation
import JKClient
import JKCore
import JKPosix
import JKTestSupport
import Testing

/// A response's Content-Length lets the connection wait for many packets at once
/// (`ByteStream.read(into:timeout:gathering:)`, docs/architecture.md §5.1): what it asks for,
/// and that a container breaking the promise costs a short wait, never a hang.
@Suite(.serialized)
struct PromisedBodyTests {
    static let chunk = [UInt8](repeating: 0x62, count: 8000)

    /// Records the `gathering` each read was given.
    final class HintRecordingStream: ByteStream, @unchecked Sendable {
        let inner: SocketStream
        private(set) var hints: [Int] = []
        init(_ inner: SocketStream) { self.inner = inner }
        func write(_ bytes: UnsafeRawBufferPointer, timeout: Milliseconds) throws(TransportError) {
            try inner.write(bytes, timeout: timeout)
        }
        func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds) throws(TransportError) -> Int {
            try read(into: buffer, timeout: timeout, gathering: 0)
        }
        func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds, gathering: Int) throws(TransportError) -> Int {
            hints.append(gathering)
            return try inner.read(into: buffer, timeout: timeout, gathering: gathering)
        }
        func isStale() -> Bool { inner.isStale() }
        func close() { inner.close() }
        func abort() { inner.abort() }
    }

    final class Box: @unchecked Sendable { var stream: HintRecordingStream? }

    static func packet(_ payload: [UInt8]) -> [UInt8] {
        [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    static func headers(length: Int) -> [UInt8] {
        packet(ContainerPackets.sendHeaders(status: 200, headers: [(nil, "Content-Length", String(length))]))
    }

    /// Runs one exchange against `script`; the outcome, the recorder and the hints of every read.
    static func exchange(
        bodyLength: Int64 = 0, promising: Bool = true, _ script: @escaping @Sendable (AJPTestServer.Connection) -> Void
    ) throws -> (AttemptOutcome, RecordingClient, [Int]) {
        let server = try AJPTestServer(script: script)
        defer { server.stop() }
        let box = Box()
        let client = try WorkerClientTests.client(port: server.port, poolSize: 1, wrap: { socket in
            let stream = HintRecordingStream(socket)
            box.stream = stream
            return stream
        })
        let recorder = RecordingClient(requestBody: [UInt8](repeating: 0x71, count: Int(bodyLength)))
        recorder.reportsPromisedBody = promising
        guard case .success(let lease) = client.acquire() else {
            Issue.record("acquire failed: the scripted container should accept the connection")
            return (AttemptOutcome(result: .clientFailed(.aborted)), recorder, [])
        }
        var body = RequestBody(contentLength: bodyLength, maxChunk: 8186)
        let outcome = AJPAttempt.run(
            request: WorkerClientTests.request, body: &body, on: lease.connection, client: recorder,
            timeouts: ExchangeTimeouts(socket: .zero, reply: Milliseconds(3000)))
        client.discard(lease.connection)
        return (outcome, recorder, box.stream?.hints ?? [])
    }

    /// Headers with the first chunk, then five more chunks one by one, then the end.
    @Sendable static func sixChunksOneByOne(_ connection: AJPTestServer.Connection) {
        _ = connection.readRequest()
        connection.send(headers(length: 48000) + packet(ContainerPackets.bodyChunk(chunk)))
        for _ in 0..<5 {
            usleep(1000)
            connection.send(packet(ContainerPackets.bodyChunk(chunk)))
        }
        connection.send(packet(ContainerPackets.endResponse(reuse: true)))
        _ = connection.readExactly(1)
    }

    @Test func readsAfterTheHeadersWaitForWhatTheContentLengthPromises() throws {
        let (outcome, recorder, hints) = try Self.exchange(Self.sixChunksOneByOne)
        #expect(outcome.result == .completed(reuse: true))
        #expect(recorder.body.count == 48000)
        #expect(hints.first == 0, "before the headers nothing is promised")
        let later = hints.dropFirst()
        #expect(!later.isEmpty)
        // 40,000 body bytes and the end still to come, less what is buffered; at most a
        // receive buffer's free space.
        #expect(later.first.map { $0 >= AJPConnection.gatherThreshold && $0 <= AJPConnection.minimumReceiveCapacity } == true,
                "hints: \(hints)")
        #expect(recorder.bodyWrites.count <= 4, "six chunks gathered into few writes: \(recorder.bodyWrites), hints \(hints)")
    }

    @Test func withoutAPromiseEveryReadTakesWhatHasCome() throws {
        let (outcome, recorder, hints) = try Self.exchange(promising: false, Self.sixChunksOneByOne)
        #expect(outcome.result == .completed(reuse: true))
        #expect(recorder.body.count == 48000)
        #expect(hints.allSatisfy { $0 == 0 }, "hints: \(hints)")
    }

    /// A request with a body: the container may ask for it between response packets, so the
    /// connection must not wait for response bytes that come only after an answer.
    @Test func aRequestWithABodyIsNeverPromised() throws {
        let (outcome, recorder, hints) = try Self.exchange(bodyLength: 100) { connection in
            _ = connection.readRequest()
            _ = connection.readPacket()  // the body packet behind the request
            connection.send(Self.headers(length: 48000) + Self.packet(ContainerPackets.bodyChunk(Self.chunk)))
            for _ in 0..<5 { connection.send(Self.packet(ContainerPackets.bodyChunk(Self.chunk))) }
            connection.send(Self.packet(ContainerPackets.endResponse(reuse: true)))
            _ = connection.readExactly(1)
        }
        #expect(outcome.result == .completed(reuse: true))
        #expect(recorder.body.count == 48000)
        #expect(hints.allSatisfy { $0 == 0 }, "hints: \(hints)")
    }

    /// A Content-Length of 40,000 with 16,000 bytes sent and the end: the response completes
    /// with what came, after a short wait, not the reply timeout.
    @Test func aBrokenPromiseCostsAShortWaitNotAHang() throws {
        let started = SystemClock.now()
        let (outcome, recorder, hints) = try Self.exchange { connection in
            _ = connection.readRequest()
            connection.send(Self.headers(length: 40000))
            usleep(2000)
            connection.send(Self.packet(ContainerPackets.bodyChunk(Self.chunk)) + Self.packet(ContainerPackets.bodyChunk(Self.chunk))
                            + Self.packet(ContainerPackets.endResponse(reuse: true)))
            _ = connection.readExactly(1)
        }
        let elapsed = SystemClock.now() - started
        #expect(outcome.result == .completed(reuse: true))
        #expect(recorder.body.count == 16000)
        #expect(hints.contains { $0 >= AJPConnection.gatherThreshold }, "hints: \(hints)")
        #expect(elapsed.value < 2000, "the 3 s reply timeout must not be what ended the wait: \(elapsed.value) ms")
    }

    /// A flush (an empty SEND_BODY_CHUNK) asks for what was sent to reach the client now: no
    /// read of that response waits for more after it.
    @Test func noPromiseAfterAFlush() throws {
        let (outcome, recorder, hints) = try Self.exchange { connection in
            _ = connection.readRequest()
            connection.send(Self.headers(length: 48000) + Self.packet(ContainerPackets.bodyChunk(Self.chunk))
                            + Self.packet(ContainerPackets.bodyChunk([])))
            for _ in 0..<5 {
                usleep(1000)
                connection.send(Self.packet(ContainerPackets.bodyChunk(Self.chunk)))
            }
            connection.send(Self.packet(ContainerPackets.endResponse(reuse: true)))
            _ = connection.readExactly(1)
        }
        #expect(outcome.result == .completed(reuse: true))
        #expect(recorder.body.count == 48000)
        #expect(recorder.flushes == 1)
        #expect(hints.allSatisfy { $0 == 0 }, "hints: \(hints)")
    }

    /// Less than `gatherThreshold` promised: reads take what comes.
    @Test func aSmallRemainderIsReadAsItComes() throws {
        let (outcome, recorder, hints) = try Self.exchange { connection in
            _ = connection.readRequest()
            connection.send(Self.headers(length: 16000) + Self.packet(ContainerPackets.bodyChunk(Self.chunk)))
            usleep(1000)
            connection.send(Self.packet(ContainerPackets.bodyChunk(Self.chunk)) + Self.packet(ContainerPackets.endResponse(reuse: true)))
            _ = connection.readExactly(1)
        }
        #expect(outcome.result == .completed(reuse: true))
        #expect(recorder.body.count == 16000)
        #expect(hints.allSatisfy { $0 == 0 }, "hints: \(hints)")
    }
}
