import AJP13
import JKClient
import JKCore
import JKTestSupport
import Testing

/// Request body packets sent ahead of the container's GET_BODY_CHUNK (`AJPAttempt.run`'s
/// `bodyAhead`): the same packets as without, only earlier; never the empty end packet, never
/// bytes the client has not sent yet; a container that stops reading leaves the connection
/// unusable.
@Suite struct BodyAheadTests {
    static let maxChunk = 8186

    /// A scripted container that logs the order of reads and writes ("r", "w<bytes>").
    final class LoggingStream: ByteStream {
        let inner: MemoryStream
        private(set) var events: [String] = []
        init(_ script: [MemoryStream.Read]) { inner = MemoryStream(script) }
        var written: [UInt8] { inner.written }
        func write(_ bytes: UnsafeRawBufferPointer, timeout: Milliseconds) throws(TransportError) {
            events.append("w\(bytes.count)")
            try inner.write(bytes, timeout: timeout)
        }
        func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds) throws(TransportError) -> Int {
            events.append("r")
            return try inner.read(into: buffer, timeout: timeout)
        }
        func isStale() -> Bool { false }
        func close() { inner.close() }
        func abort() { inner.abort() }
    }

    static func packet(_ payload: [UInt8]) -> [UInt8] {
        [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    /// `asks` GET_BODY_CHUNKs, each in its own read, then the response.
    static func container(asks: Int, reuse: Bool = true) -> [MemoryStream.Read] {
        Array(repeating: .bytes(packet(ContainerPackets.getBodyChunk(maxChunk))), count: asks)
            + [.bytes(packet(ContainerPackets.sendHeaders(status: 200)) + packet(ContainerPackets.endResponse(reuse: reuse)))]
    }

    static func body(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) } }

    struct Run {
        let outcome: AttemptOutcome
        let stream: LoggingStream
        let client: RecordingClient

        /// The body packets written after FORWARD_REQUEST: their data, in order.
        var bodyPackets: [[UInt8]] {
            var packets: [[UInt8]] = []
            var rest = stream.written[...]
            var first = true
            while rest.count >= 4 {
                let length = Int(rest[rest.startIndex + 2]) << 8 | Int(rest[rest.startIndex + 3])
                let payload = Array(rest.dropFirst(4).prefix(length))
                rest = rest.dropFirst(4 + length)
                if first { first = false; continue }  // FORWARD_REQUEST
                packets.append(Array(payload.dropFirst(2)))
            }
            return packets
        }
    }

    static func run(body: [UInt8], contentLength: Int64?, script: [MemoryStream.Read], ahead: Int,
                    sentSoFar: Int? = nil) -> Run {
        let stream = LoggingStream(script)
        let connection = AJPConnection(stream: stream, maxPacketSize: 8192, id: 1)
        let client = RecordingClient(requestBody: body)
        client.sentSoFar = sentSoFar
        var requestBody = RequestBody(contentLength: contentLength, maxChunk: maxChunk)
        let request = ForwardRequest(method: "POST", uri: "/post.jsp", remoteAddress: "127.0.0.1", serverName: "localhost", serverPort: 80)
        let outcome = AJPAttempt.run(
            request: request, body: &requestBody, on: connection, client: client,
            timeouts: ExchangeTimeouts(socket: .zero, reply: Milliseconds(1000)), bodyAhead: ahead)
        return Run(outcome: outcome, stream: stream, client: client)
    }

    /// 5 data packets (4 × 8186 + 7256) and the empty one; the container asks for all but the first.
    static let fiveChunks = body(40_000)

    @Test(arguments: [0, 1, 2])
    func aContainerThatReadsEverythingGetsTheSamePackets(ahead: Int) {
        let run = Self.run(body: Self.fiveChunks, contentLength: 40_000, script: Self.container(asks: 5), ahead: ahead)
        #expect(run.outcome.result == .completed(reuse: true))
        #expect(run.outcome.unaskedBodyPackets == 0)
        #expect(run.outcome.bytesToBackend == 40_000)
        #expect(run.bodyPackets.map(\.count) == [8186, 8186, 8186, 8186, 7256, 0])
        #expect(Array(run.bodyPackets.joined()) == Self.fiveChunks)
    }

    @Test func packetsGoAheadOnlyOnceTheContainerReadsPastTheFirst() {
        let run = Self.run(body: Self.fiveChunks, contentLength: 40_000, script: Self.container(asks: 5), ahead: 2)
        let full = "w\(8186 + 6)"
        // FORWARD_REQUEST, the first packet, the first read (GET_BODY_CHUNK), then the packet it
        // asked for and two ahead before the next read; the second ask is answered by one
        // already sent, and the last bytes go ahead.
        #expect(Array(run.stream.events.dropFirst(1).prefix(7)) == [full, "r", full, full, full, "r", "w\(7256 + 6)"])
    }

    @Test func withoutAheadEveryPacketAnswersARequest() {
        let run = Self.run(body: Self.fiveChunks, contentLength: 40_000, script: Self.container(asks: 5), ahead: 0)
        // FORWARD_REQUEST and the first packet, then read, write, read, write … and the response.
        let after = run.stream.events.dropFirst(2).map { $0 == "r" ? "r" : "w" }
        #expect(after == Array(repeating: ["r", "w"], count: 5).flatMap { $0 } + ["r"])
    }

    @Test func aContainerThatStopsReadingLeavesTheConnectionUnusable() {
        // It asks once (for the second packet), then answers: two packets went ahead unasked.
        let run = Self.run(body: Self.fiveChunks, contentLength: 40_000, script: Self.container(asks: 1), ahead: 2)
        #expect(run.outcome.result == .completed(reuse: false))
        #expect(run.outcome.unaskedBodyPackets == 2)
        #expect(run.client.status == 200)
    }

    @Test func aContainerThatNeverAsksGetsNothingAhead() {
        let run = Self.run(body: Self.fiveChunks, contentLength: 40_000, script: Self.container(asks: 0), ahead: 2)
        #expect(run.outcome.result == .completed(reuse: true))
        #expect(run.bodyPackets.map(\.count) == [8186])
    }

    @Test func onlyBytesTheClientHasSentGoAhead() {
        // The client has sent 20,000 bytes so far: the second packet (asked) reads on, the
        // third goes ahead with what is there (3,628 bytes), nothing more until it is asked.
        let run = Self.run(body: Self.fiveChunks, contentLength: 40_000, script: Self.container(asks: 6), ahead: 2,
                           sentSoFar: 20_000)
        #expect(run.outcome.result == .completed(reuse: true))
        #expect(run.client.readWithoutWaiting == 20_000 - 2 * 8186)
        #expect(Array(run.bodyPackets.joined()) == Self.fiveChunks)
        #expect(run.bodyPackets.last == [])
    }

    @Test func theEmptyEndPacketNeverGoesAhead() {
        // Exactly two packets of data: the second is asked for, nothing is left to go ahead;
        // a form reader that stops at the length leaves the connection reusable.
        let two = Self.body(2 * 8186)
        let run = Self.run(body: two, contentLength: Int64(two.count), script: Self.container(asks: 1), ahead: 2)
        #expect(run.outcome.result == .completed(reuse: true))
        #expect(run.bodyPackets.map(\.count) == [8186, 8186])
    }

    @Test func aBodyOfUnknownLengthGoesNothingAhead() {
        let run = Self.run(body: Self.fiveChunks, contentLength: nil, script: Self.container(asks: 6), ahead: 2)
        #expect(run.outcome.result == .completed(reuse: true))
        #expect(run.client.readWithoutWaiting == 0)
        #expect(Array(run.bodyPackets.joined()) == Self.fiveChunks)
    }
}
