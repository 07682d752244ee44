import AJP13
import Testing

/// Byte-for-byte checks of FORWARD_REQUEST against what Debian's mod_jk 1.2.48 sent to Tomcat
/// 10.1 (docs/modjk-behaviour.md §5.8).
struct ForwardRequestEncodingTests {
    /// Builds an AJP string: length, bytes, NUL.
    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes + [0]
    }

    static func encode(_ request: ForwardRequest, limit: Int = 8192) -> (ok: Bool, writer: AJPPacketWriter) {
        var writer = AJPPacketWriter(limit: limit)
        let ok = request.encode(into: &writer)
        return (ok, writer)
    }

    @Test func getFromCurlMatchesModJK() {
        var request = ForwardRequest(
            method: "GET", uri: "/counter.jsp", remoteAddress: "127.0.0.1", remoteHost: nil, serverName: "127.0.0.1",
            serverPort: 8090,
            headers: [.init("Host", "127.0.0.1:8090"), .init("User-Agent", "curl/7.88.1"), .init("Accept", "*/*"), .init("content-length", "0")])
        request.attributes = .init(
            secret: "s3cret", route: "was1",
            requestAttributes: [.init("AJP_REMOTE_PORT", "56524"), .init("AJP_LOCAL_ADDR", "127.0.0.1"), .init("JK_LB_ACTIVATION", "ACT")])
        var payload: [UInt8] = [0x02, 0x02]
        payload += Self.string("HTTP/1.1") + Self.string("/counter.jsp") + Self.string("127.0.0.1") + [0xFF, 0xFF]
        payload += Self.string("127.0.0.1") + [0x1F, 0x9A, 0x00, 0x00, 0x04]
        payload += [0xA0, 0x0B] + Self.string("127.0.0.1:8090")
        payload += [0xA0, 0x0E] + Self.string("curl/7.88.1")
        payload += [0xA0, 0x01] + Self.string("*/*")
        payload += [0xA0, 0x08] + Self.string("0")
        payload += [0x0C] + Self.string("s3cret")
        payload += [0x06] + Self.string("was1")
        payload += [0x0A] + Self.string("AJP_REMOTE_PORT") + Self.string("56524")
        payload += [0x0A] + Self.string("AJP_LOCAL_ADDR") + Self.string("127.0.0.1")
        payload += [0x0A] + Self.string("JK_LB_ACTIVATION") + Self.string("ACT")
        payload += [0xFF]
        let expected: [UInt8] = [0x12, 0x34, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        let (ok, writer) = Self.encode(request)
        #expect(ok)
        #expect(writer.bytes == expected)
    }

    @Test(arguments: [
        ("GET", UInt8(2)), ("POST", 4), ("HEAD", 3), ("OPTIONS", 1), ("PUT", 5), ("DELETE", 6), ("TRACE", 7),
        ("PROPFIND", 8), ("PROPPATCH", 9), ("MKCOL", 10), ("COPY", 11), ("MOVE", 12), ("LOCK", 13), ("UNLOCK", 14),
        ("ACL", 15), ("REPORT", 16), ("VERSION-CONTROL", 17), ("CHECKIN", 18), ("CHECKOUT", 19), ("UNCHECKOUT", 20),
        ("SEARCH", 21), ("MKWORKSPACE", 22), ("UPDATE", 23), ("LABEL", 24), ("MERGE", 25), ("BASELINE-CONTROL", 26),
        ("MKACTIVITY", 27),
    ])
    func methodCodes(method: String, code: UInt8) {
        let request = ForwardRequest(method: method, uri: "/", remoteAddress: "a", serverName: "s", serverPort: 80)
        let (ok, writer) = Self.encode(request)
        #expect(ok)
        #expect(writer.bytes[5] == code)
        #expect(writer.bytes.last == 0xFF)
    }

    @Test func unknownMethodTravelsAsStoredMethodAttribute() {
        let request = ForwardRequest(method: "PATCH", uri: "/", remoteAddress: "a", serverName: "s", serverPort: 80)
        let (ok, writer) = Self.encode(request)
        #expect(ok)
        #expect(writer.bytes[5] == 0xFF)
        let tail = Array(writer.bytes.suffix(1 + 2 + 5 + 1 + 1))
        #expect(tail == [0x0D] + Self.string("PATCH") + [0xFF])
    }

    @Test(arguments: [
        ("accept", UInt16(0xA001)), ("Accept-Charset", 0xA002), ("ACCEPT-ENCODING", 0xA003), ("accept-language", 0xA004),
        ("Authorization", 0xA005), ("Connection", 0xA006), ("Content-Type", 0xA007), ("Content-Length", 0xA008),
        ("Cookie", 0xA009), ("Cookie2", 0xA00A), ("Host", 0xA00B), ("Pragma", 0xA00C), ("Referer", 0xA00D),
        ("User-Agent", 0xA00E),
    ])
    func requestHeaderCodes(name: String, code: UInt16) {
        #expect(AJPRequestHeader.code(forName: name) == code)
    }

    @Test(arguments: ["X-Forwarded-For", "Accept-Datetime", "Hostname", "Cookie3", "", "cookie "])
    func uncodedHeaderNames(name: String) {
        #expect(AJPRequestHeader.code(forName: name) == nil)
    }

    @Test func sslKeySizeIsAnInteger() {
        var request = ForwardRequest(method: "GET", uri: "/", remoteAddress: "a", serverName: "s", serverPort: 443, isSSL: true)
        request.attributes.sslKeySize = 256
        let (ok, writer) = Self.encode(request)
        #expect(ok)
        #expect(Array(writer.bytes.suffix(4)) == [0x0B, 0x01, 0x00, 0xFF])
    }

    @Test func attributeOrderFollowsModJK() {
        var request = ForwardRequest(method: "GET", uri: "/", remoteAddress: "a", serverName: "s", serverPort: 80)
        request.attributes = .init(
            secret: "S", remoteUser: "u", authType: "Basic", queryString: "q=1", route: "r", sslCert: "C", sslCipher: "X",
            sslSession: "I", sslKeySize: 128)
        let (ok, writer) = Self.encode(request)
        #expect(ok)
        var expected: [UInt8] = []
        expected += [0x0C] + Self.string("S") + [0x03] + Self.string("u") + [0x04] + Self.string("Basic")
        expected += [0x05] + Self.string("q=1") + [0x06] + Self.string("r") + [0x07] + Self.string("C")
        expected += [0x08] + Self.string("X") + [0x09] + Self.string("I") + [0x0B, 0x00, 0x80, 0xFF]
        #expect(Array(writer.bytes.suffix(expected.count)) == expected)
    }

    @Test func overflowNamesThePartAndTheSizeNeeded() {
        let big = String(repeating: "x", count: 9000)
        let request = ForwardRequest(
            method: "GET", uri: "/", remoteAddress: "a", serverName: "s", serverPort: 80, headers: [.init("Host", "h"), .init("Cookie", big)])
        let (ok, writer) = Self.encode(request)
        #expect(!ok)
        #expect(writer.overflow == .header(index: 1))
        #expect(writer.needed > 9000)
        #expect(writer.bytes.count <= 8192)
    }

    @Test func largerPacketsFitLargerRequests() {
        let big = String(repeating: "x", count: 20000)
        let request = ForwardRequest(method: "GET", uri: "/", remoteAddress: "a", serverName: "s", serverPort: 80, headers: [.init("Cookie", big)])
        #expect(!Self.encode(request, limit: 8192).ok)
        #expect(Self.encode(request, limit: 65536).ok)
    }

    @Test func bodyPacketsAndCPing() {
        var writer = AJPPacketWriter(limit: 8192)
        let data: [UInt8] = [1, 2, 3]
        data.withUnsafeBytes { writer.bodyPacket($0) }
        #expect(writer.bytes == [0x12, 0x34, 0x00, 0x05, 0x00, 0x03, 1, 2, 3])
        writer.bodyPacket(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(writer.bytes == [0x12, 0x34, 0x00, 0x00])
        writer.cping()
        #expect(writer.bytes == [0x12, 0x34, 0x00, 0x01, 0x0A])
    }

    @Test(arguments: [(0, 8192), (100, 8192), (8192, 8192), (8193, 9216), (20000, 20480), (65536, 65536), (70000, 65536)])
    func packetSizeNormalisation(requested: Int, expected: Int) {
        #expect(AJPPacketSize.normalized(requested) == expected)
    }
}
