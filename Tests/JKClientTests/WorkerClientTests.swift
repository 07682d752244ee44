import AJP13
import Foundation
import JKClient
import JKCore
import JKPosix
import JKTestSupport
import Synchronization
import Testing

/// The AJP shell against a scripted container on loopback: real sockets, no Tomcat.
@Suite(.serialized)
struct WorkerClientTests {
    static func client(
        port: Int, connectPing: Milliseconds = .zero, pingTimeout: Milliseconds = Milliseconds(500), poolSize: Int = 4,
        now: @escaping WorkerClient.Now = { SystemClock.now() },
        wrap: @escaping @Sendable (SocketStream) -> any ByteStream = { $0 }
    ) throws -> WorkerClient {
        let address = try SocketAddress.resolve(host: "127.0.0.1", port: port)
        let settings = WorkerClient.Settings(
            maxPacketSize: 8192, pool: .init(maxSize: poolSize, minSize: 0, idleTimeout: .zero), acquireTimeout: Milliseconds(200),
            connectPingTimeout: connectPing, prepostPingTimeout: .zero, idlePingInterval: .zero, pingTimeout: pingTimeout,
            disableReuse: false)
        return WorkerClient(
            name: "test", settings: settings,
            connector: { () throws(TransportError) -> any ByteStream in
                wrap(try SocketStream.connect(address))
            },
            now: now, sleep: { SystemClock.sleep($0) })
    }

    static let request = ForwardRequest(method: "GET", uri: "/hello.jsp", remoteAddress: "127.0.0.1", serverName: "localhost", serverPort: 80)

    /// A container that answers every request with "hello" and keeps the connection.
    static func helloScript(_ connection: AJPTestServer.Connection) {
        while let packet = connection.readPacket() {
            if packet == [0x0A] {
                connection.sendPacket(ContainerPackets.cpong)
                continue
            }
            connection.sendPacket(ContainerPackets.sendHeaders(status: 200, reason: "200", headers: [(0xA001, "", "text/plain"), (0xA003, "", "5")]))
            connection.sendPacket(ContainerPackets.bodyChunk(Array("hello".utf8)))
            connection.sendPacket(ContainerPackets.endResponse(reuse: true))
        }
    }

    static func run(_ client: WorkerClient, body: [UInt8] = [], request: ForwardRequest = request) -> (AttemptOutcome, RecordingClient, Bool) {
        let recorder = RecordingClient(requestBody: body)
        guard case .success(let lease) = client.acquire() else {
            Issue.record("acquire failed: the scripted container should accept the connection")
            return (AttemptOutcome(result: .clientFailed(.aborted)), recorder, false)
        }
        var requestBody = RequestBody(contentLength: Int64(body.count), maxChunk: 8186)
        let outcome = AJPAttempt.run(
            request: request, body: &requestBody, on: lease.connection, client: recorder,
            timeouts: ExchangeTimeouts(socket: .zero, reply: Milliseconds(2000)))
        if case .completed(let reuse) = outcome.result {
            client.release(lease.connection, reusable: reuse)
        } else {
            client.discard(lease.connection)
        }
        return (outcome, recorder, lease.fresh)
    }

    /// The liveness check's first question: did anything complete on this worker while a
    /// request was silent? (A saturated Tomcat keeps completing requests; a hung one does not.)
    @Test func answeredWithinCountsCompletedRequests() throws {
        let server = try AJPTestServer(script: Self.helloScript)
        defer { server.stop() }
        let clock = Atomic<Int64>(10_000)
        let client = try Self.client(port: server.port, poolSize: 2, now: { Timestamp(milliseconds: clock.load(ordering: .relaxed)) })
        #expect(!client.answered(within: Milliseconds(3000)))
        let (outcome, _, _) = Self.run(client)
        #expect(outcome.result == .completed(reuse: true))
        clock.store(12_000, ordering: .relaxed)
        #expect(client.answered(within: Milliseconds(3000)))
        clock.store(14_000, ordering: .relaxed)
        #expect(!client.answered(within: Milliseconds(3000)))
    }

    @Test func getAndReuse() throws {
        let server = try AJPTestServer(script: Self.helloScript)
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        let (first, recorder, fresh) = Self.run(client)
        #expect(first.result == .completed(reuse: true))
        #expect(recorder.status == 200)
        #expect(recorder.reason == "200")
        #expect(recorder.bodyText == "hello")
        #expect(recorder.headers.first?.0 == "Content-Type")
        #expect(fresh)
        for _ in 0..<20 {
            let (outcome, _, fresh) = Self.run(client)
            #expect(outcome.result == .completed(reuse: true))
            #expect(!fresh)
        }
        #expect(server.accepted == 1)
    }

    @Test func postBodyFirstPacketThenOnRequest() throws {
        let received = Mutex<[UInt8]>([])
        let server = try AJPTestServer { connection in
            guard connection.readRequest() != nil else { return }
            var body: [UInt8] = []
            guard let first = connection.readPacket() else { return }
            body += first.dropFirst(2)
            while true {
                connection.sendPacket(ContainerPackets.getBodyChunk(8186))
                guard let next = connection.readPacket(), !next.isEmpty else { break }
                body += next.dropFirst(2)
            }
            received.withLock { $0 = body }
            connection.sendPacket(ContainerPackets.sendHeaders(status: 200))
            connection.sendPacket(ContainerPackets.endResponse(reuse: true))
        }
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var post = Self.request
        post.method = "POST"
        let (outcome, _, _) = Self.run(client, body: body, request: post)
        #expect(outcome.result == .completed(reuse: true))
        #expect(outcome.bytesToBackend == 100_000)
        #expect(received.withLock { $0 } == body)
    }

    @Test func reuseFalseClosesTheConnection() throws {
        let server = try AJPTestServer { connection in
            guard connection.readRequest() != nil else { return }
            connection.sendPacket(ContainerPackets.sendHeaders(status: 500))
            connection.sendPacket(ContainerPackets.endResponse(reuse: false))
        }
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        _ = Self.run(client)
        let (_, _, fresh) = Self.run(client)
        #expect(fresh)
        #expect(client.connectionCount == 0)
    }

    @Test func stalePooledConnectionIsReplacedWithoutFailure() throws {
        // The container closes every connection after one request, as a restarted Tomcat would.
        let server = try AJPTestServer { connection in
            Self.helloScriptOnce(connection)
        }
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        #expect(Self.run(client).0.result == .completed(reuse: true))
        Thread.sleep(forTimeInterval: 0.1)
        let (outcome, _, fresh) = Self.run(client)
        #expect(outcome.result == .completed(reuse: true))
        #expect(fresh)
    }

    @Test func aResponseThatArrivesAfterEndResponseIsNeverReadAsTheNextOne() throws {
        // A container out of step: after each full answer, a second, stray one. Read as the
        // answer to the next request, it would hand each client the previous one's response.
        let server = try AJPTestServer { connection in
            while connection.readRequest() != nil {
                connection.sendPacket(ContainerPackets.sendHeaders(status: 200, reason: "200", headers: [(0xA003, "", "5")]))
                connection.sendPacket(ContainerPackets.bodyChunk(Array("hello".utf8)))
                connection.sendPacket(ContainerPackets.endResponse(reuse: true))
                Thread.sleep(forTimeInterval: 0.02)
                connection.sendPacket(ContainerPackets.sendHeaders(status: 200, reason: "200", headers: [(0xA003, "", "5")]))
                connection.sendPacket(ContainerPackets.bodyChunk(Array("STALE".utf8)))
                connection.sendPacket(ContainerPackets.endResponse(reuse: true))
            }
        }
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        for _ in 0..<3 {
            let (outcome, recorder, fresh) = Self.run(client)
            #expect(outcome.result == .completed(reuse: true))
            #expect(String(decoding: recorder.body, as: UTF8.self) == "hello")
            #expect(fresh, "a connection with a stray response waiting must not be reused")
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    static func helloScriptOnce(_ connection: AJPTestServer.Connection) {
        guard connection.readRequest() != nil else { return }
        connection.sendPacket(ContainerPackets.sendHeaders(status: 200))
        connection.sendPacket(ContainerPackets.endResponse(reuse: true))
    }

    @Test func muteContainerFailsTheConnectPing() throws {
        let server = try AJPTestServer { connection in _ = connection.readExactly(1000) }
        defer { server.stop() }
        let client = try Self.client(port: server.port, connectPing: Milliseconds(300))
        let started = SystemClock.now()
        guard case .failure(.backend(let failure)) = client.acquire() else {
            Issue.record("expected a CPING failure")
            return
        }
        #expect(failure.phase == .cping)
        #expect(SystemClock.now() - started < Milliseconds(1500))
    }

    @Test func refusedConnect() throws {
        let server = try AJPTestServer { _ in }
        let port = server.port
        server.stop()
        let client = try Self.client(port: port)
        guard case .failure(.backend(let failure)) = client.acquire() else {
            Issue.record("expected refused")
            return
        }
        #expect(failure.cause == .transport(.refused))
    }

    static func faultOutcome(_ script: @escaping @Sendable (AJPTestServer.Connection) -> Void) throws -> AttemptOutcome {
        let server = try AJPTestServer(script: script)
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        return Self.run(client).0
    }

    @Test func garbageIsAProtocolError() throws {
        let outcome = try Self.faultOutcome { connection in
            _ = connection.readRequest()
            connection.send([0x00, 0x01, 0x02, 0x03, 0x04, 0x05])
        }
        #expect(outcome.result == .backendFailed(BackendFailure(phase: .reply, cause: .protocolError(.badMagic(first2: 0x0001)))))
    }

    @Test func httpAnswerIsRecognised() throws {
        let outcome = try Self.faultOutcome { connection in
            _ = connection.readRequest()
            connection.send(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))
        }
        #expect(outcome.result == .backendFailed(BackendFailure(phase: .reply, cause: .protocolError(.httpAnswer))))
    }

    @Test func halfPacketThenClose() throws {
        let outcome = try Self.faultOutcome { connection in
            _ = connection.readRequest()
            connection.send([0x41, 0x42, 0x00, 0x20, 0x04, 0x00])
        }
        #expect(outcome.result == .backendFailed(BackendFailure(phase: .reply, cause: .closedMidPacket)))
    }

    @Test func silenceHitsTheReplyTimeout() throws {
        let outcome = try Self.faultOutcome { connection in
            _ = connection.readRequest()
            Thread.sleep(forTimeInterval: 3)
        }
        #expect(outcome.result == .backendFailed(BackendFailure(phase: .reply, cause: .replyTimeout(Milliseconds(2000)))))
    }

    @Test func secondSendHeadersIsAProtocolError() throws {
        let outcome = try Self.faultOutcome { connection in
            _ = connection.readRequest()
            connection.sendPacket(ContainerPackets.sendHeaders(status: 200))
            connection.sendPacket(ContainerPackets.sendHeaders(status: 200))
        }
        guard case .backendFailed(let failure) = outcome.result, case .protocolError(.unexpected(.sendHeaders, _)) = failure.cause else {
            Issue.record("got \(outcome.result)")
            return
        }
        #expect(outcome.responseStarted)
    }

    @Test func oversizedChunkIsAProtocolError() throws {
        let outcome = try Self.faultOutcome { connection in
            _ = connection.readRequest()
            connection.sendPacket(ContainerPackets.sendHeaders(status: 200))
            connection.sendPacket([0x03, 0x7F, 0xFF, 0x61, 0x00])
        }
        #expect(outcome.result == .backendFailed(BackendFailure(phase: .streaming, cause: .protocolError(.bodyChunkTooLarge(length: 0x7FFF, available: 2)))))
    }

    @Test func clientAbortMidResponseIsAClientFailure() throws {
        let server = try AJPTestServer { connection in
            _ = connection.readRequest()
            connection.sendPacket(ContainerPackets.sendHeaders(status: 200))
            for _ in 0..<10 { connection.sendPacket(ContainerPackets.bodyChunk([UInt8](repeating: 1, count: 1000))) }
            connection.sendPacket(ContainerPackets.endResponse(reuse: true))
        }
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        let recorder = RecordingClient()
        recorder.failWriteAfter = 2500
        guard case .success(let lease) = client.acquire() else {
            Issue.record("acquire failed: the scripted container should accept the connection")
            return
        }
        var body = RequestBody(contentLength: 0, maxChunk: 8186)
        let outcome = AJPAttempt.run(
            request: Self.request, body: &body, on: lease.connection, client: recorder,
            timeouts: ExchangeTimeouts(socket: .zero, reply: .zero))
        client.discard(lease.connection)
        #expect(outcome.result == .clientFailed(.aborted))
        #expect(outcome.responseStarted)
    }

    @Test func clientAbortMidBodyStillEndsTheBody() throws {
        let sawEmptyPacket = Mutex(false)
        let server = try AJPTestServer { connection in
            _ = connection.readRequest()
            _ = connection.readPacket()
            connection.sendPacket(ContainerPackets.getBodyChunk(8186))
            if let next = connection.readPacket(), next.isEmpty { sawEmptyPacket.withLock { $0 = true } }
        }
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        let recorder = RecordingClient(requestBody: [UInt8](repeating: 7, count: 20000))
        recorder.failReadAfter = 8186
        var post = Self.request
        post.method = "POST"
        guard case .success(let lease) = client.acquire() else {
            Issue.record("acquire failed: the scripted container should accept the connection")
            return
        }
        var body = RequestBody(contentLength: 20000, maxChunk: 8186)
        let outcome = AJPAttempt.run(
            request: post, body: &body, on: lease.connection, client: recorder,
            timeouts: ExchangeTimeouts(socket: .zero, reply: Milliseconds(2000)))
        client.discard(lease.connection)
        #expect(outcome.result == .clientFailed(.readFailed))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(sawEmptyPacket.withLock { $0 })
    }
}
