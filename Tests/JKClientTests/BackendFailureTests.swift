import AJP13
import JKClient
import JKCore
import JKTestSupport
import Testing

/// A backend failure is classified in one place: its text and the status httpd answers with.
struct BackendFailureTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let phase: BackendFailure.Phase
        let cause: BackendFailure.Cause
        let text: String
        let status: Int32
        var testDescription: String { text }
    }

    static let rows: [Row] = [
        Row(phase: .connect, cause: .transport(.refused), text: "connect refused (nothing listens on the port)", status: 503),
        Row(phase: .connect, cause: .transport(.timedOut), text: "connect timed out (socket_connect_timeout)", status: 503),
        Row(phase: .connect, cause: .transport(.unresolved(host: "tc1", reason: "Name or service not known")),
            text: "connect: cannot resolve host 'tc1': Name or service not known", status: 503),
        Row(phase: .cping, cause: .replyTimeout(Milliseconds(3000)),
            text: "no CPONG within 3000 ms (backend hung, or port bound but not answering)", status: 504),
        Row(phase: .cping, cause: .notCPong(.sendHeaders), text: "CPING answered with SEND_HEADERS instead of CPONG", status: 502),
        Row(phase: .reply, cause: .protocolError(.httpAnswer), text: "port does not speak AJP (got an HTTP answer)", status: 502),
        Row(phase: .reply, cause: .protocolError(.tlsAnswer), text: "port does not speak AJP (got a TLS answer)", status: 502),
        Row(phase: .reply, cause: .replyTimeout(Milliseconds(50)), text: "no reply within 50 ms (reply_timeout)", status: 504),
        Row(phase: .streaming, cause: .replyTimeout(Milliseconds(50)), text: "no reply within 50 ms (reply_timeout)", status: 504),
        Row(phase: .reply, cause: .hung(silentFor: Milliseconds(10_000)),
            text: "backend hung: no reply for 10000 ms and no CPONG on a new connection", status: 504),
        Row(phase: .reply, cause: .closedWithoutReply, text: "backend closed the connection without a reply", status: 502),
        Row(phase: .streaming, cause: .closedWithoutReply,
            text: "backend closed the connection before the end of the response", status: 502),
        Row(phase: .reply, cause: .closedMidPacket,
            text: "backend closed the connection in the middle of a packet while waiting for the reply", status: 502),
        Row(phase: .send, cause: .transport(.reset), text: "connection reset by the backend while sending the request", status: 502),
        Row(phase: .sendBody, cause: .transport(.timedOut), text: "sending the request body timed out", status: 504),
    ]

    @Test(arguments: rows)
    func oneTextAndOneStatusPerCause(_ row: Row) {
        let failure = BackendFailure(phase: row.phase, cause: row.cause)
        #expect(failure.description == row.text)
        #expect(failure.httpStatus == row.status)
    }

    /// What the container does, and the cause a read reports (the one classification point).
    static let reads: [(script: [MemoryStream.Read], cause: BackendFailure.Cause)] = [
        ([], .replyTimeout(Milliseconds(200))),
        ([.fail(.reset)], .transport(.reset)),
        ([.end], .closedWithoutReply),
        // Half a packet, then silence: still a timeout.
        ([.bytes([0x41, 0x42, 0x00, 0x05, 0x04])], .replyTimeout(Milliseconds(200))),
        ([.bytes([0x41, 0x42, 0x00, 0x05, 0x04]), .end], .closedMidPacket),
        ([.bytes(Array("HTTP/1.1 400 Bad Request\r\n".utf8))], .protocolError(.httpAnswer)),
        ([.bytes([0x41, 0x42, 0x00, 0x01, 99])], .protocolError(.unknownPacketType(99))),
    ]

    @Test(arguments: 0..<reads.count)
    func aFailedReadIsClassifiedWhereItIsRead(_ row: Int) {
        let (script, expected) = Self.reads[row]
        let connection = AJPConnection(stream: MemoryStream(script), maxPacketSize: 8192, id: 1)
        #expect(throws: expected) { _ = try connection.readMessage(timeout: Milliseconds(200)) }
    }

    @Test
    func aCPINGThatGetsNoCPONGIsACPINGFailure() {
        let silent = AJPConnection(stream: MemoryStream([]), maxPacketSize: 8192, id: 1)
        guard case .failure(let failure) = silent.ping(timeout: Milliseconds(100)) else {
            Issue.record("a silent container answered CPING")
            return
        }
        #expect(failure == BackendFailure(phase: .cping, cause: .replyTimeout(Milliseconds(100))))
        #expect(failure.description == "no CPONG within 100 ms (backend hung, or port bound but not answering)")
        // AB, length 1, CPONG (9)
        let alive = AJPConnection(stream: MemoryStream([.bytes([0x41, 0x42, 0x00, 0x01, 9])]), maxPacketSize: 8192, id: 2)
        guard case .success = alive.ping(timeout: Milliseconds(100)) else {
            Issue.record("CPONG not recognised")
            return
        }
    }

    /// A busy Tomcat answers a CPING late: while `keepWaiting` says so (requests keep
    /// completing), the same CPONG is awaited again rather than the backend declared hung.
    @Test
    func aLateCPONGIsAwaitedWhileKeepWaitingSaysSo() {
        let cpong: [UInt8] = [0x41, 0x42, 0x00, 0x01, 9]
        let late = AJPConnection(stream: MemoryStream([.fail(.timedOut), .fail(.timedOut), .bytes(cpong)]), maxPacketSize: 8192, id: 1)
        var asked: [Int64] = []
        let result = late.ping(timeout: Milliseconds(100)) { window in
            asked.append(window.value)
            return true
        }
        guard case .success = result else {
            Issue.record("the late CPONG was not awaited: \(result)")
            return
        }
        // Each time with the last window only: progress must be recent.
        #expect(asked == [100, 100])
        let impatient = AJPConnection(stream: MemoryStream([.fail(.timedOut), .bytes(cpong)]), maxPacketSize: 8192, id: 2)
        guard case .failure(let failure) = impatient.ping(timeout: Milliseconds(100), keepWaiting: { _ in false }) else {
            Issue.record("keepWaiting false still waited")
            return
        }
        #expect(failure == BackendFailure(phase: .cping, cause: .replyTimeout(Milliseconds(100))))
        let silent = AJPConnection(stream: MemoryStream([]), maxPacketSize: 8192, id: 3)
        var windows = 0
        guard case .failure(let bounded) = silent.ping(timeout: Milliseconds(100), keepWaiting: { _ in
            windows += 1
            return windows < 3
        }) else {
            Issue.record("a silent container answered CPING")
            return
        }
        #expect(bounded.description == "no CPONG within 300 ms (backend hung, or port bound but not answering)")
    }

    @Test
    func onlyADroppedIdleConnectionDiedQuietly() {
        #expect(BackendFailure(phase: .send, cause: .transport(.reset)).diedQuietly)
        #expect(BackendFailure(phase: .reply, cause: .closedWithoutReply).diedQuietly)
        #expect(!BackendFailure(phase: .streaming, cause: .closedWithoutReply).diedQuietly)
        #expect(!BackendFailure(phase: .reply, cause: .replyTimeout(Milliseconds(5))).diedQuietly)
        #expect(!BackendFailure(phase: .connect, cause: .transport(.refused)).diedQuietly)
    }

    @Test func aTimeoutNamesTheSettingThatExpired() {
        // With no reply_timeout, the wait between packets is socket_timeout's.
        var failure = BackendFailure(phase: .reply, cause: .replyTimeout(Milliseconds(1000)))
        failure.bySocketTimeout = true
        #expect(failure.description == "no reply within 1000 ms (socket_timeout)")
        #expect(failure.httpStatus == 504)
    }
}
