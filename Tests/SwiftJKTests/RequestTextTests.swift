import AJP13
import JKConfig
import Testing

@testable import SwiftJK

/// httpd's strings are read in place and decoded once, only when asked for.
struct RequestTextTests {
    @Test func bytesComeFromTheCStringAndTheStringIsDecodedOnce() {
        "/a/b.jsp".withCString { pointer in
            var text = RequestText(pointer)
            #expect(text.isPresent)
            #expect(text.withBytes { $0.map { Array($0) } } == Array("/a/b.jsp".utf8))
            #expect(text.string() == "/a/b.jsp")
            #expect(text.withBytes { $0.map { Array($0) } } == Array("/a/b.jsp".utf8))
        }
    }

    @Test func absentTextHasNoBytes() {
        var text = RequestText(nil as UnsafePointer<CChar>?)
        #expect(!text.isPresent)
        #expect(text.withBytes { $0 == nil })
        #expect(text.string() == nil)
    }

    @Test(arguments: [
        ("/hello.jsp", "/hello.jsp"),
        ("/a;jsessionid=X.was1", "/a;jsessionid=X.was1"),
        ("/a b/ü", "/a%20b/%C3%BC"),
    ])
    func forwardedURIEscapesOnlyWhenNeeded(uri: String, forwarded: String) {
        let facts = RequestFacts(method: "GET", uri: uri)
        var text = ForwardRequest.forwardedURIText(facts, options: .defaults)
        #expect(text.string() == forwarded)
    }

    /// httpd's decoded path is bytes, not always UTF-8: they are escaped as they are.
    @Test(arguments: [(JkOptions.defaults, "/a%E9b;p=%E9"), (JkOptions.forwardURIEscaped, "/a%e9b;p=%e9")])
    func aPathThatIsNotUTF8KeepsItsBytes(options: JkOptions, forwarded: String) {
        let latin1: [CChar] = Array("/a".utf8CString.dropLast()) + [CChar(bitPattern: 0xE9)] + Array("b;p=".utf8CString.dropLast())
            + [CChar(bitPattern: 0xE9), 0]
        latin1.withUnsafeBufferPointer { buffer in
            let facts = RequestFacts(method: "GET", uri: "/", uriBytes: buffer.baseAddress)
            var text = ForwardRequest.forwardedURIText(facts, options: options)
            #expect(text.string() == forwarded)
        }
    }

    @Test(arguments: [
        ("/a;jsessionid=X.was1?q=1", ";jsessionid", "/a;jsessionid=X.was1"),
        ("/a.jsp?x=;jsessionid=Y", ";jsessionid", ""),
        ("/a.jsp", ";jsessionid", ""),
        ("/a/sid=Z.was2", "sid", "/a/sid=Z.was2"),
    ])
    func sessionSearchPathSkipsPathsWithoutTheParameter(uri: String, sessionPath: String, expected: String) {
        let parts = uri.split(separator: "?", maxSplits: 1)
        let facts = RequestFacts(method: "GET", uri: String(parts[0]), queryString: parts.count > 1 ? String(parts[1]) : nil)
        #expect(facts.sessionSearchPath(for: sessionPath) == Substring(expected))
    }
}
