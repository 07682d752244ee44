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

    @Test func emptyPathIdIsIgnored() {
        #expect(Self.extract(uri: "/a;jsessionid=") == nil)
    }
}
