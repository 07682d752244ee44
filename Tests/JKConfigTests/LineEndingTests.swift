import JKConfig
import Testing

/// Files saved on Windows (CRLF) read exactly like their LF originals: every broken-file and
/// broken-directive case of the corpus, and the deployments of the reference, as CRLF copies.
struct LineEndingTests {
    static func crlf(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n"))
    }

    static func summary(_ diagnostics: [ConfigDiagnostic]) -> [String] {
        diagnostics.map { "\($0.severity) \($0.location?.file ?? ""):\($0.location?.line ?? 0) \($0.message)" }
    }

    /// The model as text, worker by worker (dictionaries print in no fixed order).
    static func model(_ text: String) -> [String] {
        let (model, diagnostics) = WorkersConfigurationBuilder.build(text: text, file: "workers.properties", environment: [:])
        return ["list=\(model.list)", "order=\(model.order)"] + model.order.map { "\($0): \(String(describing: model.workers[$0]))" }
            + summary(diagnostics)
    }

    @Test func aWindowsFileDefinesItsWorkers() throws {
        let text = "worker.list=w1\r\nworker.w1.type=ajp13\r\nworker.w1.host=10.0.0.5\r\nworker.w1.port=8010\r\n"
        let (model, diagnostics) = WorkersConfigurationBuilder.build(text: text, file: "workers.properties", environment: [:])
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        #expect(model.list == ["w1"])
        let ajp = try #require(model.worker(named: "w1")?.ajp)
        #expect(ajp.host == "10.0.0.5")
        #expect(ajp.port == 8010)
    }

    @Test(arguments: [WorkersPropertiesTests.classic, WorkersPropertiesTests.reference, WorkersPropertiesTests.observedRuns])
    func deploymentsReadTheSame(_ text: String) {
        #expect(Self.model(Self.crlf(text)) == Self.model(text))
    }

    @Test(arguments: BrokenFilesTests.cases)
    func brokenWorkersFilesReadTheSame(_ broken: BrokenFilesTests.Case) {
        #expect(Self.model(Self.crlf(broken.text)) == Self.model(broken.text))
    }

    @Test(arguments: BrokenDirectivesTests.cases)
    func brokenDirectivesReadTheSame(_ broken: BrokenDirectivesTests.Case) {
        var windows = broken
        windows.conf = Self.crlf(broken.conf)
        windows.mountFile = Self.crlf(broken.mountFile)
        #expect(Self.summary(BrokenDirectivesTests.load(windows)) == Self.summary(BrokenDirectivesTests.load(broken)))
    }

    @Test func mountFilesSplitIntoRules() {
        let (rules, diagnostics) = MountFileParser.parse("/a/*=w1\r\n/b/*=w2\r\n!/a/static/*=w1\r\n", file: "uri.properties")
        #expect(diagnostics.isEmpty)
        #expect(rules.map(\.display) == ["/a/*=w1", "/b/*=w2", "!/a/static/*=w1"])
    }

    @Test func directiveNamesAreCaseInsensitive() {
        let conf = "JKWORKERSFILE workers.properties\njkMount /app/* w1\nJKMountFile uri.properties\n"
        let read = HttpdConfigReader.read(path: "/srv/httpd.conf", serverRoot: "/srv", readFile: { $0 == "/srv/httpd.conf" ? conf : nil }, glob: { _ in [] })
        #expect(read.servers.first?.directives.map(\.name) == ["JkWorkersFile", "JkMount", "JkMountFile"])
    }
}

/// Keys that look like worker properties but are not read as such.
struct NearMissTests {
    @Test(arguments: [("workers.list=w1", "did you mean worker.list?"), ("wroker.was1.port=8009", "did you mean worker.was1.port?"),
                      ("Worker.was1.port=8009", "did you mean worker.was1.port?")])
    func aNearMissOfWorkerIsWarned(line: String, hint: String) {
        let (_, diagnostics) = WorkersConfigurationBuilder.build(text: "worker.list=w1\n" + line + "\n", file: "workers.properties", environment: [:])
        let warning = diagnostics.first { $0.message.contains(hint) }
        #expect(warning?.severity == .warning, "\(diagnostics)")
        #expect(warning?.location?.line == 2)
    }

    @Test func aVariableIsNotWarned() {
        let (_, diagnostics) = WorkersConfigurationBuilder.build(
            text: "tomcat.host=10.0.0.1\nworker.list=w1\nworker.w1.host=$(tomcat.host)\n", file: "workers.properties", environment: [:])
        #expect(!diagnostics.contains { $0.message.contains("did you mean") }, "\(diagnostics)")
    }
}

extension NearMissTests {
    @Test func debiansTemplateVariablesAreNotWarned() {
        let (_, diagnostics) = WorkersConfigurationBuilder.build(
            text: "workers.tomcat_home=/usr/share/tomcat10\nworkers.java_home=/usr/lib/jvm/default-java\nworker.list=w1\n",
            file: "workers.properties", environment: [:])
        #expect(!diagnostics.contains { $0.message.contains("did you mean") }, "\(diagnostics)")
    }
}

/// What httpd itself resolves before the Jk directives see them.
struct HttpdSyntaxTests {
    static func read(_ conf: String, environment: [String: String] = [:]) -> HttpdConfigReader.Result {
        HttpdConfigReader.read(path: "/srv/httpd.conf", serverRoot: "/srv", environment: environment, readFile: { $0 == "/srv/httpd.conf" ? conf : nil }, glob: { _ in [] })
    }

    @Test func definesAndTheEnvironmentAreSubstituted() {
        let read = Self.read("Define JK_LOG_LEVEL debug\nJkLogLevel ${JK_LOG_LEVEL}\nJkLogFile ${LOG_DIR}/jk.log\nJkShmFile ${NOPE}/x\n", environment: ["LOG_DIR": "/var/log/x"])
        #expect(read.servers.first?.directives.map(\.arguments) == [["debug"], ["/var/log/x/jk.log"], ["${NOPE}/x"]])
    }

    @Test func aVirtualHostIsNamedByItsServerName() {
        let read = Self.read("<VirtualHost *:8080>\nServerName shop.example.test\nJkMount /a/* w1\n</VirtualHost>\n<VirtualHost 10.0.0.1:80>\nServerName https://api.example.test:8443\n</VirtualHost>\n")
        #expect(read.servers.map(\.name) == ["main", "shop.example.test", "api.example.test"])
        #expect(read.servers.map(\.port) == [0, 0, 8443])
    }
}
