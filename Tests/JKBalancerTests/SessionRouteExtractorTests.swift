import JKBalancer
import Testing

/// Where the session id comes from (mod_jk's `get_sessionid`).
struct SessionRouteExtractorTests {
    static func extract(jkRoute: String? = nil, uri: String = "/app/x.jsp", cookies: [String] = []) -> SessionIdentifiers? {
        SessionRouteExtractor.extract(
            jkRoute: jkRoute, uri: Substring(uri), cookieHeaders: cookies.map { Substring($0) }, sessionPath: ";jsessionid",
            sessionCookie: "JSESSIONID")
    }

    @Test func jkRouteWins() {
        #expect(Self.extract(jkRoute: "was2", cookies: ["JSESSIONID=A.was1"]) == SessionIdentifiers(ids: [".was2"], source: .jkRoute))
    }

    @Test func pathParameterBeforeCookie() {
        let found = Self.extract(uri: "/counter.jsp;jsessionid=ABC.was1", cookies: ["JSESSIONID=DEF.was2"])
        #expect(found == SessionIdentifiers(ids: ["ABC.was1"], source: .pathParameter))
    }

    @Test(arguments: [
        ("JSESSIONID=A.was1", ["A.was1"]),
        ("x=1; JSESSIONID=A.was1; y=2", ["A.was1"]),
        ("JSESSIONID=A.was1; JSESSIONID=B.was2", ["A.was1", "B.was2"]),
        ("JSESSIONID=\"Q.was1\"", ["Q.was1"]),
        ("MYJSESSIONID=A.was1", []),
        ("jsessionid=A.was1", []),
        ("JSESSIONID =A.was1", ["A.was1"]),
        ("a=b,JSESSIONID=C.was2", ["C.was2"]),
    ])
    func cookies(header: String, ids: [Substring]) {
        let found = Self.extract(cookies: [header])
        #expect((found?.ids ?? []) == ids)
    }

    @Test func cookiesFromSeveralHeadersAreConcatenated() {
        #expect(Self.extract(cookies: ["JSESSIONID=A.x", "JSESSIONID=B.y"])?.ids == ["A.x", "B.y"])
    }

    @Test func emptyIdsAreIgnoredAndTheNextSourceTried() {
        #expect(Self.extract(cookies: ["JSESSIONID=; other=1"]) == nil)
        #expect(Self.extract(cookies: ["JSESSIONID=\"\""]) == nil)
        #expect(Self.extract(uri: "/a;jsessionid=", cookies: ["JSESSIONID=C.was2"])?.ids == ["C.was2"])
        #expect(Self.extract(cookies: ["JSESSIONID=; JSESSIONID=D.was1"])?.ids == ["D.was1"])
    }

    /// The request path hands the Cookie headers over as httpd's bytes: the same ids as from
    /// strings, bytes that are not UTF-8 repaired as a string would be, long headers searched
    /// whole.
    @Test func cookieHeadersAsBytes() {
        func extract(_ headers: [[UInt8]]) -> [Substring]? {
            SessionRouteExtractor.extract(jkRoute: nil, uri: "/a.jsp", sessionPath: ";jsessionid", sessionCookie: "JSESSIONID") { visit in
                for header in headers { header.withUnsafeBufferPointer(visit) }
            }?.ids
        }
        #expect(extract([Array("x=1; JSESSIONID=A.was1".utf8), Array("JSESSIONID=B.was2".utf8)]) == ["A.was1", "B.was2"])
        #expect(extract([Array("JSESSIONID=A".utf8) + [0xFF] + Array(".was1".utf8)]) == ["A\u{FFFD}.was1"])
        let filler = (0..<200).map { "c\($0)=\(String(repeating: "v", count: 20))" }.joined(separator: "; ")
        #expect(extract([Array((filler + "; JSESSIONID=Z.was2; " + filler).utf8)]) == ["Z.was2"])
        #expect(extract([Array("JSESSIONID=".utf8)]) == nil)
        #expect(extract([]) == nil)
    }

    @Test func emptyPathIdIsIgnored() {
        #expect(Self.extract(uri: "/a;jsessionid=") == nil)
    }
}
