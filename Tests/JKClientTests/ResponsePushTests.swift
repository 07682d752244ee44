import AJP13
import JKClient
import JKCore
import JKTestSupport
import Testing

/// Body bytes are handed on towards the client before the exchange waits for the container, and
/// only then: bytes the kernel already holds are read first, so a large response goes out in
/// few writes (docs/architecture.md §5.1).
struct ResponsePushTests {
    static func packet(_ payload: [UInt8]) -> [UInt8] {
        [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    static func run(_ script: [MemoryStream.Read]) -> (AttemptOutcome, RecordingClient) {
        let connection = AJPConnection(stream: MemoryStream(script), maxPacketSize: 8192, id: 1)
        let client = RecordingClient()
        var body = RequestBody(contentLength: 0, maxChunk: 8186)
        let request = ForwardRequest(method: "GET", uri: "/big.jsp", remoteAddress: "127.0.0.1", serverName: "s", serverPort: 80)
        let outcome = AJPAttempt.run(
            request: request, body: &body, on: connection, client: client,
            timeouts: ExchangeTimeouts(socket: Milliseconds(1000), reply: Milliseconds(1000)))
        return (outcome, client)
    }

    static let headers = packet(ContainerPackets.sendHeaders(status: 200))
    static func chunk(_ count: Int) -> [UInt8] { packet(ContainerPackets.bodyChunk([UInt8](repeating: 0x61, count: count))) }
    static let end = packet(ContainerPackets.endResponse(reuse: true))

    @Test func bytesGoOnBeforeAReadThatWaits() {
        // The first read empties the socket mid-response: what arrived is pushed before the next.
        let (outcome, client) = Self.run([.bytes(Self.headers + Self.chunk(100)), .bytes(Self.chunk(200) + Self.end)])
        #expect(outcome.result == AttemptOutcome.Result.completed(reuse: true))
        #expect(client.body.count == 300)
        #expect(client.pushedAt == [100])
    }

    @Test func noPushWhileTheKernelHoldsMore() {
        // One burst larger than the receive buffer: the first read fills it, so the next read
        // does not wait and nothing is pushed; the end of the response hands everything on.
        let burst = Self.headers + Self.chunk(8000) + Self.chunk(8000) + Self.chunk(8000) + Self.end
        let (outcome, client) = Self.run([.bytes(burst)])
        #expect(outcome.result == AttemptOutcome.Result.completed(reuse: true))
        #expect(client.body.count == 24000)
        #expect(client.pushedAt.isEmpty)
    }

    /// Whole packets that fill the receive buffer exactly (two packets and a byte) leave
    /// nothing buffered and say nothing about what is left: a peek decides.
    static func exactFill(then rest: [MemoryStream.Read]) -> RecordingClient {
        let first = Self.chunk(8184)
        let second = 8192 * 2 + 1 - Self.headers.count - first.count - 8
        let (outcome, client) = Self.run([.bytes(Self.headers + first + Self.chunk(second))] + rest)
        #expect(outcome.result == AttemptOutcome.Result.completed(reuse: true))
        #expect(client.body.count == 8184 + second + 10)
        return client
    }

    @Test func aBurstThatFillsTheBufferExactlyThenPausesIsPushed() {
        let client = Self.exactFill(then: [.pause, .bytes(Self.chunk(10) + Self.end)])
        #expect(client.pushedAt == [client.body.count - 10])
    }

    @Test func aBurstThatFillsTheBufferExactlyWithMoreWaitingIsNotPushed() {
        let client = Self.exactFill(then: [.bytes(Self.chunk(10) + Self.end)])
        #expect(client.pushedAt.isEmpty)
    }

    @Test func aFlushPacketFlushesAndNothingIsLeftToPush() {
        let flush = Self.packet([0x03, 0x00, 0x00])
        let (outcome, client) = Self.run([.bytes(Self.headers + Self.chunk(50) + flush), .bytes(Self.end)])
        #expect(outcome.result == AttemptOutcome.Result.completed(reuse: true))
        #expect(client.flushes == 1)
        #expect(client.pushedAt.isEmpty)
    }
}
