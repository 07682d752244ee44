@testable import JKConfig
import JKCore
import Testing

/// Files that mod_jk reads one way and an earlier SwiftJK read another (or refused): each now
/// gives the worker mod_jk would use, with a warning where a value is changed.
struct ModJkReadingTests {
    static func build(_ text: String, extra: [PropertyLine] = []) -> (WorkersConfiguration, [ConfigDiagnostic]) {
        WorkersConfigurationBuilder.build(text: text, file: "w.properties", extraLines: extra, environment: [:])
    }

    static let httpdConf = SourceLocation(file: "httpd.conf", line: 7)

    @Test func theFileWinsOverJkWorkerPropertyForTheSameKey() {
        let (model, diagnostics) = Self.build(
            "worker.list=b\nworker.b.host=127.0.0.1\nworker.b.port=8010\n",
            extra: [PropertyLine(key: "worker.b.port", value: "8011", location: Self.httpdConf)])
        #expect(model.worker(named: "b")?.ajp?.port == 8010)
        let warning = diagnostics.warnings.first { $0.message.contains("duplicate 'worker.b.port'") }
        #expect(warning?.location == SourceLocation(file: "w.properties", line: 3), "\(diagnostics.map(\.description))")
        #expect(warning?.message.contains("httpd.conf:7") == true)
    }

    /// mod_jk drops a line with an empty value: the earlier, inherited or default value stays.
    @Test func anEmptyValueLeavesTheEarlierOne() {
        let (model, diagnostics) = Self.build(
            """
            worker.list=lb
            worker.lb.type=lb
            worker.lb.balance_workers=a,b
            worker.tpl.route=tpl
            worker.tpl.domain=dom
            worker.a.reference=worker.tpl
            worker.a.route=
            worker.a.domain=
            worker.b.route=r1
            worker.b.route=
            worker.b.port=

            """)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.description))")
        #expect(model.worker(named: "a")?.ajp?.route == "tpl")
        #expect(model.worker(named: "a")?.ajp?.domain == "dom")
        #expect(model.worker(named: "b")?.ajp?.route == "r1")
        #expect(model.worker(named: "b")?.ajp?.port == 8009)
        #expect(diagnostics.warnings.filter { $0.message.contains("has no value") }.count == 4)
    }

    /// A member without a route is routed by its name, and a dot in the name makes a domain.
    @Test func aDottedNameNamesADomain() {
        let (model, _) = Self.build("worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=app.v1,was2\n")
        #expect(model.worker(named: "app.v1")?.ajp?.domain == "app")
        #expect(model.worker(named: "was2")?.ajp?.domain == "")
    }

    @Test func theFileCanUseAVariableSetByJkWorkerProperty() {
        let (model, diagnostics) = Self.build(
            "worker.list=b\nworker.b.host=$(tomcat.host)\n",
            extra: [PropertyLine(key: "tomcat.host", value: "10.0.0.7", location: Self.httpdConf)])
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.description))")
        #expect(model.worker(named: "b")?.ajp?.host == "10.0.0.7")
    }

    @Test(arguments: [
        "\u{FEFF}# saved by Notepad\r\nworker.list=a\r\nworker.a.port=8010\r\n",
        "\u{FEFF}worker.list=a\nworker.a.port=8010\n",
    ])
    func aByteOrderMarkIsNotPartOfTheFirstLine(_ text: String) {
        let (model, diagnostics) = Self.build(text)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.description))")
        #expect(model.list == ["a"])
        #expect(model.worker(named: "a")?.ajp?.port == 8010)
    }

    @Test func aByteOrderMarkInAMountFileIsNotPartOfTheFirstLine() {
        let (rules, diagnostics) = MountFileParser.parse("\u{FEFF}# rules\r\n/app/*=a\r\n", file: "uri.properties")
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.description))")
        #expect(rules.map(\.pattern) == ["/app/*"])
    }

    @Test func aWorkerPropertySetEarlierIsAVariable() {
        let (model, diagnostics) = Self.build(
            "worker.list=a,b\nworker.a.host=10.0.0.5\nworker.a.port=8010\nworker.b.host=$(worker.a.host)\nworker.b.port=$(worker.a.port)\n")
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.description))")
        #expect(model.worker(named: "b")?.ajp?.host == "10.0.0.5")
        #expect(model.worker(named: "b")?.ajp?.port == 8010)
    }

    @Test func aWorkerNameMayContainADot() {
        let (model, diagnostics) = Self.build("worker.list=app.v2\nworker.app.v2.host=10.0.0.5\nworker.app.v2.port=8010\n")
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.description))")
        #expect(model.list == ["app.v2"])
        #expect(model.worker(named: "app.v2")?.ajp?.host == "10.0.0.5")
        #expect(model.worker(named: "app.v2")?.ajp?.port == 8010)
    }

    @Test(arguments: ["0", "-5"])
    func anLbfactorBelowOneIsOneWithAWarning(_ value: String) {
        let (model, diagnostics) = Self.build(
            "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\nworker.a.lbfactor=\(value)\n")
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.description))")
        #expect(model.worker(named: "a")?.ajp?.lbFactor == 1)
        let warning = diagnostics.warnings.first { $0.message.contains("worker.a.lbfactor=\(value) is below 1 and used as 1") }
        #expect(warning?.location == SourceLocation(file: "w.properties", line: 4), "\(diagnostics.map(\.description))")
    }

    @Test(arguments: [
        (["+ForwardURICompat", "+ForwardURIProxy"], JkOptions.forwardURIProxy),
        (["+ForwardURIProxy", "+ForwardURICompat"], JkOptions.forwardURICompat),
    ])
    func theLastForwardURIOptionWins(_ words: [String], _ expected: JkOptions) {
        var delta = JkOptionsDelta()
        _ = DirectiveParser.parseOption(words[0], into: &delta)
        let problem = DirectiveParser.parseOption(words[1], into: &delta)
        #expect(problem.map { if case .warning = $0 { true } else { false } } == true)
        let effective = JkOptionsDelta.effective(global: delta, server: nil)
        #expect(effective.intersection(.forwardURIMask) == expected)
    }

    /// Debian's mod_jk 1.2.48 uses a long format whole; only %Q/%q need it to fit 64 bytes, and
    /// are written as they are otherwise.
    @Test func aLongStampFormatIsUsedWholeAndItsFractionLeftAsWritten() {
        let long = String(repeating: "x", count: 62) + "%H more"
        #expect(DirectiveParser.checkStampFormat(long) == (long, []))
        let (used, problems) = DirectiveParser.checkStampFormat(long + " %Q")
        #expect(used == long + " %%Q")
        #expect(problems.count == 1)
        let (same, none) = DirectiveParser.checkStampFormat("[%H:%M:%S.%Q] ")
        #expect(same == "[%H:%M:%S.%Q] " && none.isEmpty)
    }

    @Test func requestLogFormatEscapesAreDecoded() {
        #expect(DirectiveParser.unescapeRequestLogFormat("%w\\t%s\\n\\\\x\\q") == "%w\t%s\n\\x\\q")
    }
}
