import JKConfig
import Testing

/// The property rows: one row per name and worker type, and each value syntax's error text
/// (the operator's only hint when a line is wrong).
struct PropertyRowsTests {
    @Test func noNameTwiceInOneTable() {
        for names in [PropertyRows.ajp.map(\.name), PropertyRows.loadBalancer.map(\.name), PropertyRows.status.map(\.name)] {
            #expect(Set(names).count == names.count, "\(names)")
        }
    }

    @Test func theIndexIsTheRowsPlusModJksOldNames() {
        let rows = Set(
            PropertyRows.ajp.map(\.name) + PropertyRows.loadBalancer.map(\.name) + PropertyRows.status.map(\.name)
                + PropertyRows.structural.map(\.name))
        let accepted = Set(PropertySpec.attributes.filter { $0.value.kind == .unique || $0.value.kind == .list }.keys)
        #expect(accepted == rows)
        #expect(PropertySpec.attributes["retries"]?.types == [.ajp, .member, .lb])
        #expect(PropertySpec.attributes["fail_on_status"]?.kind == .list)
    }

    /// `worker.<w>.<line>` → the diagnostic it gives (nil: accepted silently).
    static let bad: [(worker: String, line: String, message: String?)] = [
        ("wA", "port=70000", "worker.wA.port='70000': expected a number from 0 to 65535"),
        ("wA", "retries=0", "worker.wA.retries=0 is below 1 and used as 1, as mod_jk does"),
        ("wA", "retries=x", "worker.wA.retries='x': expected a number"),
        ("wA", "ping_timeout=soon", "worker.wA.ping_timeout='soon': expected a number ≥ 0"),
        ("wA", "socket_keepalive=maybe", "worker.wA.socket_keepalive='maybe': expected a boolean (true/false, on/off, 1/0, yes/no)"),
        ("wA", "ping_mode=X", "worker.wA.ping_mode='X': use the letters C, P, I or A"),
        ("wA", "activation=Q", "worker.wA.activation='Q': use A (active), D (disabled) or S (stopped)"),
        ("wA", "fail_on_status=50", "worker.wA.fail_on_status='50': expected HTTP status codes (negative: do not mark the member in error)"),
        ("wA", "fail_on_status=-503,500", nil),
        ("wA", "max_packet_size=none", "worker.wA.max_packet_size='none': expected a size in bytes"),
        ("wA", "max_packet_size=9000", "worker.wA.max_packet_size=9000 is used as 9216 (multiple of 1024 in 8192…65536)"),
        ("wA", "host=", "'worker.wA.host' has no value; the line is ignored, as mod_jk ignores it (the earlier, inherited or default value stays)"),
        ("wA", "route=   # none", "'worker.wA.route' has no value; the line is ignored, as mod_jk ignores it (the earlier, inherited or default value stays)"),
        ("wA", "route=" + String(repeating: "r", count: 64), "worker.wA.route is 64 bytes long; at most 63 fit (as in mod_jk's shared memory)"),
        ("lb", "method=X", "worker.lb.method='X': use Request, Session, Next, Traffic or Busyness"),
        ("lb", "lock=x", "worker.lb.lock='x': use Optimistic or Pessimistic"),
        ("lb", "recover_time=0", "worker.lb.recover_time='0': expected a number ≥ 1"),
        ("lb", "max_packet_size=0", "worker.lb.max_packet_size='0': expected a number ≥ 1"),
        ("st", "read_only=perhaps", "worker.st.read_only='perhaps': expected a boolean (true/false, on/off, 1/0, yes/no)"),
    ]

    @Test(arguments: bad)
    func aBadValueIsNamed(_ row: (worker: String, line: String, message: String?)) {
        let text = """
            worker.list=lb,wA,st
            worker.lb.type=lb
            worker.lb.balance_workers=wA,wB
            worker.wB.type=ajp13
            worker.st.type=status
            worker.\(row.worker).\(row.line)

            """
        let (_, diagnostics) = WorkersConfigurationBuilder.build(text: text, file: "w.properties", environment: [:])
        let messages = diagnostics.filter { $0.location?.line == 6 }.map(\.message)
        #expect(messages == (row.message.map { [$0] } ?? []))
    }

    @Test func hostWithPortAndTheJoinedRules() throws {
        let text = """
            worker.list=w
            worker.w.host=tc1:8010
            worker.w.socket_timeout=7
            worker.w.connect_timeout=500
            worker.w.route=jvm1.rack2

            """
        let (model, diagnostics) = WorkersConfigurationBuilder.build(text: text, file: "w.properties", environment: [:])
        #expect(diagnostics.map(\.message) == [
            "worker.w.host='tc1:8010' embeds a port: SwiftJK connects to tc1 port 8010 unless a worker.w.port line says otherwise (mod_jk 1.2.48 cannot resolve such a host and stops the member); write host=tc1 and port=8010"
        ])
        let ajp = try #require(model.workers["w"]?.ajp)
        #expect(ajp.host == "tc1" && ajp.port == 8010)
        #expect(ajp.socketConnectTimeout == .seconds(7))
        #expect(ajp.pingMode == AJPWorkerSettings.SafeDefaults.pingMode.union(.connect))
        #expect(ajp.domain == "jvm1")
    }
}
