import JKConfig
import Testing

/// Broken workers.properties files: each yields its diagnostic at the right line.
struct BrokenFilesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "typo with suggestion", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.sticky_sesion=1\nworker.lb.balance_workers=a\n", line: 3, message: "did you mean sticky_session?"),
        Case(name: "unknown global", text: "worker.lists=a\n", line: 1, message: "did you mean worker.list?"),
        Case(name: "bad integer", text: "worker.list=a\nworker.a.port=80x9\n", line: 2, message: "worker.a.port='80x9'"),
        Case(name: "port out of range", text: "worker.list=a\nworker.a.port=70000\n", line: 2, message: "from 0 to 65535"),
        Case(name: "bad boolean", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.lb.sticky_session=maybe\n", line: 4, message: "expected a boolean"),
        Case(name: "bad method", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.lb.method=X\n", line: 4, message: "use Request"),
        Case(name: "bad activation", text: "worker.list=a\nworker.a.activation=Q\n", line: 2, message: "use A (active)"),
        Case(name: "bad ping mode", text: "worker.list=a\nworker.a.ping_mode=CX\n", line: 2, message: "letters C, P, I or A"),
        Case(name: "unknown type", text: "worker.list=a\nworker.a.type=ajp31\n", line: 2, message: "unknown type 'ajp31'"),
        Case(name: "ajp12", text: "worker.list=a\nworker.a.type=ajp12\n", line: 2, message: "ajp12 is obsolete"),
        Case(name: "no equals", text: "worker.list=a\nworker.a.port 8009\n", line: 2, message: "not a 'name=value' line"),
        Case(name: "undefined variable", text: "worker.list=a\nworker.a.host=$(NOPE)\n", line: 2, message: "undefined variable $(NOPE)"),
        Case(name: "reference cycle", text: "worker.list=a\nworker.a.reference=worker.b\nworker.b.reference=worker.a\n", line: 3, message: "reference cycle"),
        Case(name: "reference to nothing", text: "worker.list=a\nworker.a.reference=worker.tmpl\n", line: 2, message: "has no properties"),
        Case(name: "lb without members", text: "worker.list=lb\nworker.lb.type=lb\n", line: 2, message: "has no balance_workers"),
        Case(name: "duplicate routes", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\nworker.a.route=x\nworker.b.route=x\n", line: 3, message: "the same route 'x'"),
        Case(name: "lb member is an lb", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=inner\nworker.inner.type=lb\nworker.inner.balance_workers=a\n", line: 3, message: "members must be ajp13"),
        Case(name: "invalid worker name", text: "worker.list=a\nworker.a b.port=1\n", line: 2, message: "invalid worker name"),
        Case(name: "fail_on_status", text: "worker.list=a\nworker.a.fail_on_status=503,abc\n", line: 2, message: "expected HTTP status codes"),
        Case(name: "lbfactor not a number", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.a.lbfactor=half\n", line: 4, message: "worker.a.lbfactor='half'"),
        Case(name: "bad maintain", text: "worker.list=a\nworker.maintain=soon\n", line: 2, message: "worker.maintain='soon'"),
        Case(name: "max packet size", text: "worker.list=a\nworker.a.max_packet_size=big\n", line: 2, message: "expected a size in bytes"),
        Case(name: "retries not a number", text: "worker.list=a\nworker.a.retries=none\n", line: 2, message: "worker.a.retries='none'"),
        Case(name: "recover time", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.lb.recover_time=0\n", line: 4, message: "recover_time='0'"),
        Case(name: "bad lock", text: "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.lb.lock=Z\n", line: 4, message: "use Optimistic or Pessimistic"),
        Case(name: "typo connection pool", text: "worker.list=a\nworker.a.connection_pool_szie=5\n", line: 2, message: "did you mean connection_pool_size?"),
        Case(name: "typo socket timeout", text: "worker.list=a\nworker.a.socket_timout=5\n", line: 2, message: "did you mean socket_timeout?"),
        Case(name: "empty name", text: "worker.list=a\n=value\n", line: 2, message: "no property name"),
        Case(name: "Latin-1 byte in a secret", text: "# r\u{FFFD}sum\u{FFFD}\nworker.list=a\nworker.a.secret=s\u{FFFD}cret\n", line: 3,
             message: "'worker.a.secret' holds bytes that are not UTF-8"),
        Case(name: "recovery options", text: "worker.list=a\nworker.a.recovery_options=99\n", line: 2, message: "worker.a.recovery_options='99'"),
    ]

    @Test(arguments: cases)
    func diagnosticAtTheRightLine(_ broken: Case) {
        let (_, diagnostics) = WorkersConfigurationBuilder.build(text: broken.text, file: "w.properties", environment: [:])
        let errors = diagnostics.errors
        #expect(!errors.isEmpty, "no error for \(broken.name)")
        let match = errors.first { $0.message.contains(broken.message) }
        #expect(match != nil, "\(broken.name): \(errors.map(\.description))")
        #expect(match?.location?.line == broken.line, "\(broken.name): \(errors.map(\.description))")
        #expect(match?.location?.file == "w.properties")
    }
}

extension BrokenFilesTests {
    @Test func aRouteLongerThanTheSharedFieldIsAnError() {
        let (_, diagnostics) = WorkersConfigurationBuilder.build(
            text: "worker.list=a\nworker.a.route=\(String(repeating: "r", count: 64))\n", file: "workers.properties", environment: [:])
        let error = diagnostics.first { $0.message.contains("at most 63 fit") }
        #expect(error?.severity == .error && error?.location?.line == 2)
    }
}
