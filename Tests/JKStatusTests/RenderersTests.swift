import JKBalancer
import JKCore
import Testing

extension Substring {
    fileprivate func droppingLeading(_ character: Character) -> Substring { drop { $0 == character } }
}

@testable import JKStatus

/// The txt, prop and xml forms against lines mod_jk 1.2.48 wrote for the same state.
struct RenderersTests {
    static let clock = StatusClock(
        monotonic: Timestamp(milliseconds: 101_000), unixSeconds: 1_796_457_333, civil: { _ in ("20261205075533", "+0000") })

    static let balancer = Balancer(
        name: "worker1", members: [.init(name: "was1", lbFactor: 1), .init(name: "was2", lbFactor: 3)], settings: Balancer.Settings())

    static func ajp(_ name: String, port: Int) -> AJPFacts {
        AJPFacts(
            name: name, host: "127.0.0.1", port: port, address: "127.0.0.1:\(port)", source: nil, connectionPoolTimeout: 0, pingTimeout: 10000,
            connectTimeout: 0, prepostTimeout: 0, replyTimeout: 0, retries: 2, connectionPingInterval: 0, recoveryOptions: 0, busyLimit: 0,
            maxPacketSize: 8192, connected: 1, maxConnected: 1)
    }

    static func document() -> StatusDocument {
        var runtime = balancer.initialRuntime()
        runtime[0].state = .ok
        runtime[0].lbValue = 9
        runtime[0].elected = 3
        runtime[0].sessions = 3
        runtime[0].bytesWritten = 539
        runtime[0].bytesRead = 363
        runtime[0].maxBusy = 1
        runtime[0].lastReset = 100_000
        var record = BalancerRuntime()
        record.settings = balancer.settings.shared
        record.maxBusy = 1
        record.lastReset = 100_000
        record.lastMaintenance = 100_000
        let labels = balancer.initialLabels()
        let rating = MemberRating(good: [], bad: [])
        let map = StatusFields.map(MapFacts(server: "127.0.0.1", uri: "/*.jsp", type: "Wildchar", source: "JkMount"), id: 1)
        let fields = StatusFields.balancer(balancer, record: record, members: runtime, mapCount: 1, rating: rating, clock: clock)
        let member = StatusFields.member(ajp("was1", port: 33961), runtime: runtime[0], labels: labels[0], balancer: balancer, record: record, clock: clock)
        let header = StatusDocument.Header(
            serverName: "127.0.0.1", serverPort: 32935, datetime: "20261205075533", timezone: "+0000", unixTime: 1_796_457_333,
            webServer: "Apache/2.4.71 (Debian) mod_jk/1.2.48", jkVersion: "mod_jk/1.2.48")
        return StatusDocument(
            header: header, balancers: [StatusDocument.Balancer(name: "worker1", fields: fields, members: [member], maps: [map])],
            result: .finished)
    }

    @Test func textMatchesModJK() {
        let text = StatusRenderers.text(Self.document(), StatusRenderers.Options())
        let expected = """
            Server: name=127.0.0.1 port=32935
            Time: datetime=20261205075533 tz=+0000 unix=1796457333
            Software: web_server="Apache/2.4.71 (Debian) mod_jk/1.2.48" jk_version=mod_jk/1.2.48
            Balancer Workers: count=1
            Balancer Worker: name=worker1 type=lb sticky_session=True sticky_session_force=False retries=2 recover_time=60 error_escalation_time=30 max_reply_timeouts=0 method=Request lock=Optimistic member_count=2 good=2 degraded=0 bad=0 busy=0 max_busy=1 map_count=1 time_to_maintenance_min=59 time_to_maintenance_max=119 last_reset_at=1796457332 last_reset_ago=1
            Member: name=was1 type=ajp13 host=127.0.0.1 port=33961 address=127.0.0.1:33961 source=undefined connection_pool_timeout=0 ping_timeout=10000 connect_timeout=0 prepost_timeout=0 reply_timeout=0 retries=2 connection_ping_interval=0 recovery_options=0 busy_limit=0 max_packet_size=8192 activation=ACT lbfactor=1 route="was1" redirect="" domain="" distance=0 state=OK lbmult=3 lbvalue=9 elected=3 sessions=3 errors=0 client_errors=0 reply_timeouts=0 transferred=539 read=363 busy=0 max_busy=1 connected=1 max_connected=1 time_to_recover_min=0 time_to_recover_max=0 last_reset_at=1796457332 last_reset_ago=1
            Map: id=1 server="127.0.0.1" uri="/*.jsp" type="Wildchar" source="JkMount" reply_timeout="-1" sticky_ignore="0" stateless="0" fail_on_status="" active="" disabled="" stopped="" use_server_errors="0"
            Result: type=OK message="Action finished"

            """
        #expect(text == expected)
    }

    @Test func aPlainAJPWorkerLineMatchesModJK() {
        var facts = Self.ajp("ajp1", port: 51149)
        facts.connected = 2
        facts.maxConnected = 2
        var counters = AJPCounters()
        counters.used = 3
        counters.transferred = 513
        counters.read = 210
        counters.maxBusy = 1
        counters.lastReset = 101_000
        let fields = StatusFields.ajpWorker(facts, counters: counters, mapCount: 9, clock: Self.clock)
        let document = StatusDocument(ajpWorkers: [.init(name: "ajp1", fields: fields, maps: [])], result: .finished)
        let line = StatusRenderers.text(document, .init()).split(separator: "\n").dropFirst().first.map(String.init)
        #expect(
            line
                == "AJP Worker: name=ajp1 type=ajp13 host=127.0.0.1 port=51149 address=127.0.0.1:51149 source=undefined connection_pool_timeout=0 ping_timeout=10000 connect_timeout=0 prepost_timeout=0 reply_timeout=0 retries=2 connection_ping_interval=0 recovery_options=0 busy_limit=0 max_packet_size=8192 used=3 errors=0 client_errors=0 reply_timeouts=0 transferred=513 read=210 busy=0 max_busy=1 connected=2 max_connected=2 map_count=9 last_reset_at=1796457333 last_reset_ago=0"
        )
        let properties = StatusRenderers.properties(document, .init()).split(separator: "\n").map(String.init)
        #expect(properties.prefix(3) == ["worker.ajp_count=1", "worker.ajp1.list=ajp1", "worker.ajp1.type=ajp13"])
    }

    @Test func propertiesKeepModJKsKeyQuirks() {
        var document = Self.document()
        let errorTime = Int64(91_000)
        var member = document.balancers?[0].members[0] ?? Record()
        StatusFields.addErrorTime(&member, errorTime, clock: Self.clock)
        document.balancers?[0].members[0] = member
        let lines = StatusRenderers.properties(document, StatusRenderers.Options()).split(separator: "\n").map(String.init)
        #expect(lines.contains("worker.lb_count=1"))
        #expect(lines.contains("worker.list=worker1"))
        #expect(lines.contains("worker.worker1.balance_workers=was1"))
        #expect(lines.contains("worker.was1.route=was1"))
        #expect(lines.filter { $0.hasPrefix("worker.worker1.last_reset_at=") }.count == 2)
        #expect(lines.contains("worker.worker1.error_time_unix seconds=1796457323"))
        #expect(lines.contains("worker.worker1.error_time_ago seconds=10"))
        #expect(lines.contains("worker.worker1.map.1.uri=/*.jsp"))
        #expect(lines.suffix(2) == ["worker.result.type=OK", "worker.result.message=Action finished"])
    }

    @Test func xmlPutsThePingIntervalBeforeRetries() {
        let xml = StatusRenderers.xml(Self.document(), StatusRenderers.Options())
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<jk:status\n  xmlns:jk=\"http://tomcat.apache.org\">\n<jk:server\n  name=\"127.0.0.1\"\n"))
        let lines = xml.split(separator: "\n").map { $0.droppingLeading(" ") }
        let member = lines.drop { $0 != "<jk:member" }
        let interval = member.firstIndex { $0.hasPrefix("connection_ping_interval=") }
        let retries = member.firstIndex { $0.hasPrefix("retries=") }
        #expect(interval != nil && retries != nil && interval! < retries!)
        #expect(xml.hasSuffix("  <jk:result\n    type=\"OK\"\n    message=\"Action finished\"\n  />\n</jk:status>\n"))
    }

    /// mod_jk closes a plain ajp13 worker's element and lists its maps after it.
    @Test func xmlListsAPlainWorkersMapsAfterItsElement() {
        let fields = StatusFields.ajpWorker(Self.ajp("ajp1", port: 51149), counters: AJPCounters(), mapCount: 1, clock: Self.clock)
        var map = Record()
        map.add("id", 1)
        let document = StatusDocument(ajpWorkers: [.init(name: "ajp1", fields: fields, maps: [map])], result: .finished)
        let xml = StatusRenderers.xml(document, StatusRenderers.Options())
        #expect(xml.contains("    last_reset_ago=\"0\"\n  />\n      <jk:map\n        id=\"1\"\n      />\n</jk:ajp_workers>\n") || xml.contains("    last_reset_ago=\"0\"\n  />\n      <jk:map\n        id=\"1\"\n      />\n  <jk:result"), "\(xml)")
        #expect(!xml.contains("</jk:ajp>"))
        let lines = xml.split(separator: "\n").map { $0.droppingLeading(" ") }
        let interval = lines.firstIndex { $0.hasPrefix("connection_ping_interval=") }
        let retries = lines.firstIndex { $0.hasPrefix("retries=") }
        #expect(interval != nil && retries != nil && interval! < retries!)
    }

    @Test func xmlWithoutNamespace() {
        let xml = StatusRenderers.xml(
            StatusDocument(result: .finished), StatusRenderers.Options(ns: "-", xmlns: "-", doctype: "<!DOCTYPE status>"))
        #expect(xml == "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE status>\n<status\n>\n  <result\n    type=\"OK\"\n    message=\"Action finished\"\n  />\n</status>\n")
    }

    @Test func errorsCarryOnlyTheResult() {
        let error = StatusDocument(result: .init(ok: false, message: "Invalid command."))
        #expect(StatusRenderers.text(error, .init()) == "Result: type=ERROR message=\"Invalid command.\"\n")
        #expect(StatusRenderers.properties(error, .init(prefix: "stat")) == "stat.result.type=ERROR\nstat.result.message=Invalid command.\n")
    }

    @Test func jsonIsOneObjectWithNumbersAsNumbers() {
        let json = StatusRenderers.json(Self.document())
        #expect(json.hasPrefix("{\"server\":{\"name\":\"127.0.0.1\",\"port\":32935}"))
        #expect(json.contains("\"elected\":3"))
        #expect(json.contains("\"route\":\"was1\""))
        #expect(json.contains("\"result\":{\"type\":\"OK\",\"message\":\"Action finished\"}"))
        #expect(StatusRenderers.quote("a\"b\\\n\u{1}") == "\"a\\\"b\\\\\\n\\u0001\"")
    }

    @Test func prometheusHasHelpTypeAndOneHotState() {
        let text = PrometheusRenderer.render(Self.document())
        #expect(text.contains("# TYPE swiftjk_member_requests_total counter\n"))
        #expect(text.contains("swiftjk_member_requests_total{lb=\"worker1\",member=\"was1\"} 3\n"))
        #expect(text.contains("swiftjk_member_state{lb=\"worker1\",member=\"was1\",state=\"OK\"} 1\n"))
        #expect(text.contains("swiftjk_member_state{lb=\"worker1\",member=\"was1\",state=\"ERR\"} 0\n"))
        #expect(text.contains("swiftjk_member_sent_bytes_total{lb=\"worker1\",member=\"was1\"} 539\n"))
    }

    @Test(arguments: [
        // (good rules, bad rules, members as (activation, state), good, degraded, bad)
        ([], [], [(Activation.active, MemberState.ok), (.disabled, .ok)], 1, 1, 0),
        ([], [], [(.active, .ok), (.stopped, .ok)], 1, 0, 1),
        ([], [], [(.active, .error), (.active, .recovering)], 1, 0, 1),
        (["a.o", "a.i"], ["s", "d"], [(.active, .idle), (.disabled, .idle)], 1, 0, 1),
        (["o"], ["o"], [(.active, .ok)], 0, 0, 1),
    ] as [([String], [String], [(Activation, MemberState)], Int, Int, Int)])
    func ratingFollowsModJKsMasks(good: [String], bad: [String], members: [(Activation, MemberState)], g: Int, d: Int, b: Int) {
        let records = members.map { activation, state -> MemberRuntime in
            var record = MemberRuntime()
            record.activation = activation
            record.state = state
            return record
        }
        let counts = MemberRating(good: good, bad: bad).count(records)
        #expect(counts.good == g && counts.degraded == d && counts.bad == b)
    }

    @Test func theHTMLPageChangesStateOnlyByPostWithTheNonce() {
        var document = Self.document()
        document.balancers?[0].memberExtras = [StatusFields.memberExtras(MemberRuntime(), member: Self.balancer.members[0], clock: Self.clock)]
        let page = HTMLRenderer.render(document, .init(path: "/jkstatus", nonce: "00112233445566778899aabbccddeeff"))
        #expect(page.contains("<form method=\"post\" action=\"/jkstatus\">"))
        #expect(!page.contains("method=\"get\""))
        #expect(page.contains("<input type=\"hidden\" name=\"nonce\" value=\"00112233445566778899aabbccddeeff\">"))
        #expect(page.contains("id=\"drain-was1\""))
        #expect(page.contains("<tr class=\"member\" id=\"member-was1\" data-activation=\"ACT\" data-state=\"OK\">"))
        let readOnly = HTMLRenderer.render(document, .init(path: "/jkstatus", nonce: nil))
        #expect(!readOnly.contains("<form"))
        let hostile = HTMLRenderer.render(StatusDocument(result: .finished), .init(path: "/js\"><script>", nonce: nil, flash: "<b>x</b>"))
        #expect(!hostile.contains("<script>"))
        #expect(!hostile.contains("<b>x</b>"))
    }
}
