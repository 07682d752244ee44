import AJP13
import Foundation
import JKClient
import JKCore
import JKTestSupport
import Testing

/// Body chunks that arrive together reach the client in one write (`ClientSide.writeBodies`),
/// and none is held back while the exchange waits for the container.
@Suite(.serialized)
struct BodyGatheringTests {
    static let chunk = [UInt8](repeating: 0x61, count: 8000)

    static func exchange(
        _ script: @escaping @Sendable (AJPTestServer.Connection) -> Void, client recorder: some ClientSide
    ) throws -> AttemptOutcome {
        let server = try AJPTestServer(script: script)
        defer { server.stop() }
        let client = try WorkerClientTests.client(port: server.port)
        guard case .success(let lease) = client.acquire() else {
            Issue.record("acquire failed: the scripted container should accept the connection")
            return AttemptOutcome(result: .clientFailed(.aborted))
        }
        var body = RequestBody(contentLength: 0, maxChunk: 8186)
        let outcome = AJPAttempt.run(
            request: WorkerClientTests.request, body: &body, on: lease.connection, client: recorder,
            timeouts: ExchangeTimeouts(socket: .zero, reply: Milliseconds(2000)))
        client.discard(lease.connection)
        return outcome
    }

    static func packet(_ payload: [UInt8]) -> [UInt8] {
        [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    /// Headers, three 8000-byte chunks and the end in one `send`.
    @Sendable static func threeChunksAtOnce(_ connection: AJPTestServer.Connection) {
        _ = connection.readRequest()
        var all = packet(ContainerPackets.sendHeaders(status: 200))
        for _ in 0..<3 { all += packet(ContainerPackets.bodyChunk(chunk)) }
        all += packet(ContainerPackets.endResponse(reuse: true))
        connection.send(all)
        _ = connection.readExactly(1)
    }

    @Test func chunksSentTogetherAreWrittenTogether() throws {
        let recorder = RecordingClient()
        let outcome = try Self.exchange(Self.threeChunksAtOnce, client: recorder)
        #expect(outcome.result == .completed(reuse: true))
        #expect(outcome.bytesToClient == 24000)
        #expect(recorder.body.count == 24000)
        #expect(recorder.bodyWrites.reduce(0, +) == 3)
        #expect(recorder.bodyWrites.count < 3, "three chunks in one receive buffer: fewer writes than chunks")
    }

    /// Two chunks, then the container waits until the client has both: a client that held them
    /// until the next packet came would wait forever (here: the 2 s reply timeout).
    @Test func chunksAreWrittenBeforeWaitingForMore() throws {
        let received = DispatchSemaphore(value: 0)
        let client = SignallingClient(after: 16000, signal: received)
        let outcome = try Self.exchange({ connection in
            _ = connection.readRequest()
            var first = Self.packet(ContainerPackets.sendHeaders(status: 200))
            first += Self.packet(ContainerPackets.bodyChunk(Self.chunk)) + Self.packet(ContainerPackets.bodyChunk(Self.chunk))
            connection.send(first)
            guard received.wait(timeout: .now() + 5) == .success else { return connection.close() }
            connection.send(Self.packet(ContainerPackets.bodyChunk(Self.chunk)) + Self.packet(ContainerPackets.endResponse(reuse: true)))
            _ = connection.readExactly(1)
        }, client: client)
        #expect(outcome.result == .completed(reuse: true))
        #expect(client.recorder.body.count == 24000)
    }

    /// A malformed packet after gathered chunks: the chunks reach the client first, as they
    /// would have one by one.
    @Test func chunksBeforeAMalformedPacketAreWritten() throws {
        let recorder = RecordingClient()
        let outcome = try Self.exchange({ connection in
            _ = connection.readRequest()
            var all = Self.packet(ContainerPackets.sendHeaders(status: 200))
            all += Self.packet(ContainerPackets.bodyChunk(Self.chunk)) + Self.packet(ContainerPackets.bodyChunk(Self.chunk))
            all += [0x41, 0x42, 0x00, 0x01, 0x63]  // an unknown message type
            connection.send(all)
            _ = connection.readExactly(1)
        }, client: recorder)
        guard case .backendFailed(let failure) = outcome.result, case .protocolError = failure.cause else {
            Issue.record("expected a protocol error, got \(outcome.result)")
            return
        }
        #expect(recorder.body.count == 16000)
        #expect(outcome.bytesToClient == 16000)
    }

    @Test func aClientGoneDuringAGatheredWriteIsAClientFailure() throws {
        let recorder = RecordingClient()
        recorder.failWriteAfter = 12000
        let outcome = try Self.exchange(Self.threeChunksAtOnce, client: recorder)
        #expect(outcome.result == .clientFailed(.aborted))
    }
}

/// Records like `RecordingClient` and signals once `after` body bytes were written.
final class SignallingClient: ClientSide, @unchecked Sendable {
    let recorder = RecordingClient()
    let after: Int
    let signal: DispatchSemaphore
    private var signalled = false

    init(after: Int, signal: DispatchSemaphore) {
        self.after = after
        self.signal = signal
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int { 0 }
    func startResponse(_ headers: SendHeaders, payload: UnsafeRawBufferPointer) throws(ClientError) {
        try recorder.startResponse(headers, payload: payload)
    }
    func writeBody(_ bytes: UnsafeRawBufferPointer) throws(ClientError) {
        try recorder.writeBody(bytes)
        check()
    }
    func writeBodies(_ slices: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws(ClientError) {
        try recorder.writeBodies(slices)
        check()
    }
    func flush() throws(ClientError) {}

    private func check() {
        if !signalled && recorder.body.count >= after {
            signalled = true
            signal.signal()
        }
    }
}
