import JKConfig
import Testing

struct MountTableTests {
    static func table(_ lines: [(String, String)]) -> MountTable {
        var rules: [MountRule] = []
        for (pattern, worker) in lines {
            rules += MountRuleParser.parse(pattern: pattern, workerSpec: worker, source: .jkMount, location: nil).rules
        }
        return MountTable(rules)
    }

    static let rich = table([
        ("/*.jsp", "worker1"), ("/app|/*", "lb"), ("/app/static/*", "static"), ("!/app/static/*.jsp", "static"),
        ("/exact.do", "w2"), ("-/disabled/*", "w3"), ("/x/?.txt", "w4"), ("!/app/private/*", "*"),
    ])

    @Test(arguments: [
        ("/index.jsp", "worker1"), ("/a/b/index.jsp", "worker1"), ("/index.html", nil), ("/app", "lb"), ("/app/", "lb"),
        ("/app/page", "lb"), ("/app/static/img.png", "static"), ("/app/static/x.jsp", nil), ("/exact.do", "w2"),
        ("/exact.do/more", nil), ("/disabled/thing", nil), ("/x/a.txt", "w4"), ("/x/ab.txt", nil), ("/app/private/a", nil),
        ("/application", nil),
    ])
    func lookups(uri: String, worker: String?) {
        #expect(Self.rich.match(uri)?.worker == worker)
    }

    @Test func moreSlashesThenLongerPatternsComeFirst() {
        let table = Self.table([("/*", "a"), ("/app/*", "b"), ("/app/x/*", "c"), ("/app/xy*", "d")])
        #expect(table.rules.map(\.pattern) == ["/app/x/*", "/app/xy*", "/app/*", "/*"])
        #expect(table.match("/app/x/1")?.worker == "c")
        #expect(table.match("/app/xyz")?.worker == "d")
    }

    @Test func extensionsAreParsed() {
        let (rules, diagnostics) = MountRuleParser.parse(
            pattern: "/app/*", workerSpec: "lb;reply_timeout=5000;sticky_ignore=1;stopped=was2;fail_on_status=503,-404",
            source: .jkMount, location: nil)
        #expect(diagnostics.isEmpty)
        #expect(rules.first?.extensions.replyTimeout?.value == 5000)
        #expect(rules.first?.extensions.stickyIgnore == true)
        #expect(rules.first?.extensions.stopped == ["was2"])
        #expect(rules.first?.extensions.failOnStatus == [503, -404])
    }

    @Test func theSamePatternMountedTwiceTakesTheLastWorker() {
        let table = Self.table([("/dup/*", "a"), ("/other/*", "c"), ("/dup/*", "b")])
        #expect(table.match("/dup/x")?.worker == "b")
        #expect(table.rules.count == 2)
        // An exclusion of the same pattern is a different rule, not a replacement.
        let excluded = Self.table([("/dup/*", "a"), ("!/dup/*", "a")])
        #expect(excluded.rules.count == 2)
        #expect(excluded.match("/dup/x") == nil)
    }

    /// A disabled rule only switches itself off: beside an enabled rule for the same pattern
    /// (either order, same or other worker) the enabled one maps, as in mod_jk 1.2.48.
    @Test(arguments: [
        [("/a/*", "w"), ("-/a/*", "w")], [("-/a/*", "w"), ("/a/*", "w")], [("/a/*", "w"), ("-/a/*", "w2")],
    ])
    func aDisabledRuleDoesNotHideAnEnabledOne(_ lines: [(String, String)]) {
        #expect(Self.table(lines).match("/a/x")?.worker == "w")
        #expect(Self.table([("-/a/*", "w")]).match("/a/x") == nil)
    }

    @Test func sessionPathMayStartWithTheSeparator() {
        let (rules, diagnostics) = MountRuleParser.parse(
            pattern: "/sp/*", workerSpec: "lb;session_path=;sid;sticky_ignore=0", source: .jkMount, location: nil)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(rules.first?.extensions.sessionPath == ";sid")
        #expect(rules.first?.extensions.stickyIgnore == false)
    }

    @Test func unknownExtensionIsAnErrorWithASuggestion() {
        let (_, diagnostics) = MountRuleParser.parse(pattern: "/a", workerSpec: "w;reply_timout=1", source: .jkMount, location: nil)
        #expect(diagnostics.first?.message.contains("did you mean reply_timeout?") == true)
    }

    @Test(arguments: ["app/*", "", "|x"])
    func patternsMustStartWithSlashStarOrQuestionMark(pattern: String) {
        let (rules, diagnostics) = MountRuleParser.parse(pattern: pattern, workerSpec: "w", source: .jkMount, location: nil)
        #expect(rules.isEmpty)
        #expect(diagnostics.hasErrors)
    }
}

struct URINormalizerTests {
    @Test(arguments: [
        ("/counter.jsp;jsessionid=ABC.was1", "/counter.jsp"), ("/a//b", "/a/b"), ("/a/./b", "/a/b"), ("/a/b/../c", "/a/c"),
        ("/a/b/..", "/a/"), ("/a;x=1/b;y=2", "/a/b"), ("/", "/"), ("/a/", "/a/"), ("/plain.jsp", "/plain.jsp"),
        ("/a/.", "/a/"), ("/..a", "/..a"),
    ])
    func normalises(uri: String, expected: String) {
        #expect(URINormalizer.normalize(uri) == .success(expected))
    }

    @Test(arguments: ["/..", "/a/../..", "/../etc/passwd"])
    func escapingTheRootIsRefused(uri: String) {
        #expect(URINormalizer.normalize(uri) == .failure(.escapesRoot))
    }
}
