import AJP13
import Testing

/// Container → web server packets, as Tomcat 10.1 sent them (docs/modjk-behaviour.md §5.8).
struct ContainerMessageTests {
    static func string(_ text: String) -> [UInt8] { ForwardRequestEncodingTests.string(text) }

    static func parse(_ payload: [UInt8]) -> Result<ContainerMessage, AJPProtocolError> {
        payload.withUnsafeBytes { ContainerMessage.parse($0) }
    }

    static let sendHeaders: [UInt8] = {
        var payload: [UInt8] = [0x04, 0x00, 0xC8] + string("200") + [0x00, 0x03]
        payload += [0xA0, 0x07] + string("JSESSIONID=9C9542857DC247136B053DB4B7E51233.was1; Path=/; HttpOnly")
        payload += [0xA0, 0x01] + string("text/plain;charset=UTF-8")
        payload += [0xA0, 0x03] + string("84")
        return payload
    }()

    @Test func sendHeadersFromTomcat() throws {
        let result = Self.parse(Self.sendHeaders)
        guard case .success(.sendHeaders(let headers)) = result else {
            Issue.record("not SEND_HEADERS: \(result)")
            return
        }
        #expect(headers.status == 200)
        #expect(headers.headerCount == 3)
        var seen: [(String, String)] = []
        Self.sendHeaders.withUnsafeBytes { payload in
            #expect(headers.reason.map { payload.string($0) } == "200")
            headers.forEachHeader(in: payload) { name, value in
                let text: String
                switch name {
                case .coded(let staticName): text = staticName.description
                case .named(let range): text = payload.string(range)
                }
                seen.append((text, payload.string(value)))
                // Every value is NUL-terminated in place, so C can use it directly.
                #expect(payload[value.upperBound] == 0)
            }
        }
        #expect(seen.map(\.0) == ["Set-Cookie", "Content-Type", "Content-Length"])
        #expect(seen[2].1 == "84")
    }

    @Test func namedResponseHeader() {
        let payload: [UInt8] = [0x04, 0x01, 0x94] + Self.string("Not Found") + [0x00, 0x01] + Self.string("X-Thing") + Self.string("v")
        guard case .success(.sendHeaders(let headers)) = Self.parse(payload) else {
            Issue.record("not parsed")
            return
        }
        #expect(headers.status == 404)
        payload.withUnsafeBytes { bytes in
            headers.forEachHeader(in: bytes) { name, value in
                #expect(name == .named(headers.headersOffset + 2..<headers.headersOffset + 9))
                #expect(bytes.string(value) == "v")
            }
        }
    }

    @Test func bodyChunkEndAndGetBody() {
        #expect(Self.parse([0x03, 0x00, 0x03, 0x61, 0x62, 0x63, 0x00]) == .success(.sendBodyChunk(3..<6)))
        #expect(Self.parse([0x03, 0x00, 0x00, 0x00]) == .success(.sendBodyChunk(3..<3)))
        #expect(Self.parse([0x05, 0x01]) == .success(.endResponse(reuse: true)))
        #expect(Self.parse([0x05, 0x00]) == .success(.endResponse(reuse: false)))
        #expect(Self.parse([0x06, 0x1F, 0xFA]) == .success(.getBodyChunk(requested: 8186)))
        #expect(Self.parse([0x09]) == .success(.cpong))
    }

    @Test(arguments: [
        ([UInt8](), AJPProtocolError.emptyPacket),
        ([0x63], .unknownPacketType(0x63)),
        ([0x02], .unknownPacketType(0x02)),
        ([0x03, 0x10, 0x00, 0x61], .bodyChunkTooLarge(length: 4096, available: 1)),
        ([0x04, 0x00, 0xC8, 0x00, 0x03, 0x32, 0x30, 0x30, 0x00, 0x00, 0x01, 0xA0, 0x0C] + string("x"), .unknownHeaderCode(0xA00C)),
        ([0x04, 0x00, 0xC8, 0x00, 0x03, 0x32, 0x30], .malformed(.sendHeaders, "bad reason string")),
        ([0x04, 0x00, 0xC8, 0x00, 0x03, 0x32, 0x30, 0x30, 0x01], .malformed(.sendHeaders, "bad reason string")),
        ([0x04, 0x00, 0xC8, 0xFF, 0xFF, 0x00, 0x02, 0xA0, 0x01] + string("t"), .malformed(.sendHeaders, "header 2 of 2 truncated")),
        ([0x06], .malformed(.getBodyChunk, "no length")),
        ([0x04, 0x00, 0x00, 0x00, 0x01, 0x30, 0x00, 0x00, 0x00], .malformed(.sendHeaders, "status 0")),
    ])
    func malformedPayloads(payload: [UInt8], error: AJPProtocolError) {
        #expect(Self.parse(payload) == .failure(error))
    }

    @Test(arguments: [
        ([UInt8(0x41), 0x42, 0x00, 0x10], Result<Int, AJPProtocolError>.success(16)),
        ([0x41, 0x42, 0x00, 0x00], .failure(.emptyPacket)),
        ([0x41, 0x42, 0x20, 0x00], .failure(.packetTooLarge(length: 8192, limit: 8192))),
        ([0x48, 0x54, 0x54, 0x50], .failure(.httpAnswer)),
        ([0x16, 0x03, 0x01, 0x00], .failure(.tlsAnswer)),
        ([0x12, 0x34, 0x00, 0x01], .failure(.badMagic(first2: 0x1234))),
    ])
    func packetHeaders(header: [UInt8], expected: Result<Int, AJPProtocolError>) {
        let result = header.withUnsafeBytes { ContainerMessage.payloadLength(header: $0, maxPacketSize: 8192) }
        #expect(result == expected)
    }

    @Test func errorTextsNameTheCause() {
        #expect(AJPProtocolError.httpAnswer.description == "port does not speak AJP (got an HTTP answer)")
        #expect(AJPProtocolError.badMagic(first2: 0x1234).description.contains("0x1234"))
        #expect(AJPProtocolError.unexpected(.sendHeaders, whileIn: "streaming the body (second SEND_HEADERS)").description.contains("SEND_HEADERS"))
    }
}
