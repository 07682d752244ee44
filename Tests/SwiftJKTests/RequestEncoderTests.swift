import AJP13
import JKConfig
import Testing

@testable import SwiftJK

/// The hot-path encoder writes exactly what the value-type request would.
struct RequestEncoderTests {
    static func bytes(_ source: some ForwardRequestSource) -> [UInt8] {
        var writer = AJPPacketWriter(limit: 65536)
        _ = source.encode(into: &writer)
        return writer.bytes
    }

    static let cases: [RequestFacts] = [
        RequestFacts(method: "GET", uri: "/counter.jsp", headers: [.init("Host", "127.0.0.1:8090"), .init("User-Agent", "curl/7.88.1"), .init("Accept", "*/*")]),
        RequestFacts(method: "POST", uri: "/post.jsp", queryString: "a=1&b=2", headers: [.init("Host", "h"), .init("Content-Length", "5"), .init("Content-Type", "text/plain")], contentLength: 5),
        RequestFacts(method: "POST", uri: "/post.jsp", headers: [.init("Host", "h"), .init("Content-Length", "5"), .init("Transfer-Encoding", "chunked")], contentLength: -1),
        RequestFacts(method: "PATCH", uri: "/a b/ü;jsessionid=X.was1", headers: [.init("X-Custom", "v"), .init("Cookie", "JSESSIONID=X.was1")]),
        RequestFacts(method: "HEAD", uri: "/", headers: []),
    ]

    @Test(arguments: cases)
    func encoderMatchesTheValueType(facts: RequestFacts) {
        var value = ForwardRequest(facts: facts, options: .defaults)
        value.prepareAttempt(secret: "s3cret", route: "was1", activation: "ACT")
        var encoder = RequestEncoder(facts: facts, options: .defaults)
        encoder.secret = "s3cret"
        encoder.route = "was1"
        encoder.activation = "ACT"
        #expect(Self.bytes(encoder) == Self.bytes(value))
    }

    @Test func bodylessRequestsGetContentLengthZero() {
        let facts = RequestFacts(method: "GET", uri: "/", headers: [.init("Host", "h")])
        let value = ForwardRequest(facts: facts, options: .defaults)
        #expect(value.headers.last == ForwardRequest.Header("content-length", "0"))
    }

    @Test func chunkedRequestsDropContentLength() {
        let facts = RequestFacts(method: "POST", uri: "/", headers: [.init("Content-Length", "9"), .init("Host", "h")], contentLength: -1)
        #expect(ForwardRequest(facts: facts, options: .defaults).headers == [ForwardRequest.Header("Host", "h")])
    }

    @Test(arguments: [
        ("/plain.jsp", "/plain.jsp"), ("/a b.jsp", "/a%20b.jsp"), ("/x;jsessionid=A.b", "/x;jsessionid=A.b"),
        ("/ü", "/%C3%BC"), ("/q?x", "/q%3Fx"), ("/100%", "/100%25"),
    ])
    func forwardURIProxyReencodes(uri: String, forwarded: String) {
        let facts = RequestFacts(method: "GET", uri: uri)
        #expect(ForwardRequest.forwardedURI(facts, options: .defaults) == forwarded)
    }

    /// ForwardURIEscaped is httpd's ap_escape_uri: the same characters, lowercase hex (as mod_jk
    /// 1.2.48 forwards them, seen on the wire).
    @Test(arguments: [("/q\"<>^`{|}", "/q%22%3c%3e%5e%60%7b%7c%7d"), ("/é%~!$&'()*+,=:@z\t\u{7F}", "/%c3%a9%25~!$&'()*+,=:@z%09%7f")])
    func forwardURIEscapedWritesLowercaseHex(uri: String, forwarded: String) {
        let facts = RequestFacts(method: "GET", uri: uri)
        var options = JkOptions.defaults
        options.remove(.forwardURIMask)
        options.insert(.forwardURIEscaped)
        #expect(ForwardRequest.forwardedURI(facts, options: options) == forwarded)
    }
}

extension RequestFacts: CustomTestStringConvertible {
    public var testDescription: String { "\(method) \(uri)" }
}

struct UnmappedTests {
    @Test(arguments: [
        ("/a/b.gif;jsessionid=ABC.was1", "/a/b.gif"), ("/a;jsessionid=X/b.gif", "/a/b.gif"),
        ("/a;jsessionid=X;v=1/b", "/a;v=1/b"),
    ])
    func stripSession(uri: String, stripped: String) {
        #expect(Unmapped.stripSessionParameter(uri, name: ";jsessionid") == stripped)
    }

    @Test func noParameterLeavesTheURI() {
        #expect(Unmapped.stripSessionParameter("/a/b.gif", name: ";jsessionid") == nil)
    }

    @Test func autoAliasRefusesWebInf() {
        #expect(Unmapped.autoAlias("/app/WEB-INF/web.xml", directory: "/tmp") == .hidden)
        #expect(Unmapped.autoAlias("/app/meta-inf/x", directory: "/tmp") == .hidden)
        #expect(Unmapped.autoAlias("/app.war", directory: "/tmp") == .warFile)
        #expect(Unmapped.autoAlias("/App.WAR/x", directory: "/tmp") == .warFile)
        #expect(Unmapped.autoAlias("/.war", directory: "/tmp") == .none)
        #expect(Unmapped.autoAlias("/no-such-context-dir-xyz/a", directory: "/tmp") == .none)
    }
}
