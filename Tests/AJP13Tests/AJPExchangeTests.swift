import AJP13
import Testing

/// The per-request protocol state machine, as a table of message sequences.
struct AJPExchangeTests {
    static let headers = SendHeaders(status: 200, reason: nil, headerCount: 0, headersOffset: 5)

    @Test func normalResponse() {
        var exchange = AJPExchange(maxPacketSize: 8192)
        #expect(exchange.received(.sendHeaders(Self.headers)) == .startResponse(Self.headers))
        #expect(exchange.received(.sendBodyChunk(3..<10)) == .writeBody(3..<10))
        #expect(exchange.received(.sendBodyChunk(3..<3)) == .flush)
        #expect(exchange.received(.endResponse(reuse: true)) == .finish(reuse: true))
        #expect(exchange.state == .ended(reuse: true))
    }

    @Test func bodyRequestsAreCappedToOnePacket() {
        var exchange = AJPExchange(maxPacketSize: 8192)
        #expect(exchange.received(.getBodyChunk(requested: 8186)) == .sendBody(maxBytes: 8186))
        #expect(exchange.received(.getBodyChunk(requested: 65000)) == .sendBody(maxBytes: 8186))
        var big = AJPExchange(maxPacketSize: 65536)
        #expect(big.received(.getBodyChunk(requested: 65530)) == .sendBody(maxBytes: 65530))
    }

    @Test func strayEmptyChunkBeforeHeadersIsIgnored() {
        var exchange = AJPExchange(maxPacketSize: 8192)
        #expect(exchange.received(.sendBodyChunk(3..<3)) == .none)
        #expect(exchange.state == .awaitingHeaders)
    }

    @Test(arguments: [
        ([ContainerMessage.sendHeaders(headers), .sendHeaders(headers)], PacketType.sendHeaders),
        ([.sendBodyChunk(3..<4)], .sendBodyChunk),
        ([.endResponse(reuse: true)], .endResponse),
        ([.cpong], .cpong),
        ([.sendHeaders(headers), .endResponse(reuse: true), .sendBodyChunk(3..<4)], .sendBodyChunk),
    ])
    func protocolViolations(sequence: [ContainerMessage], offending: PacketType) {
        var exchange = AJPExchange(maxPacketSize: 8192)
        var last: AJPExchange.Action = .none
        for message in sequence { last = exchange.received(message) }
        guard case .fail(.unexpected(let type, _)) = last else {
            Issue.record("expected a protocol failure, got \(last)")
            return
        }
        #expect(type == offending)
        #expect(exchange.state == .failed)
    }
}
