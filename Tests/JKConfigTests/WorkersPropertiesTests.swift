import JKBalancer
import JKConfig
import JKCore
import Testing

/// workers.properties: the examples of the reference parse to the expected model, and broken
/// files report the right line.
struct WorkersPropertiesTests {
    static func build(_ text: String, environment: [String: String] = [:]) -> (WorkersConfiguration, [ConfigDiagnostic]) {
        WorkersConfigurationBuilder.build(text: text, file: "workers.properties", environment: environment)
    }

    /// classic-deployment.md, verbatim (hosts swapped, as in the original).
    static let classic = """
        worker.list=worker1
        worker.worker1.type=lb
        worker.worker1.balance_workers=was1,was2
        #worker.worker1.sticky_session=true
        worker.worker1.sticky_session=1

        worker.was1.type=ajp13
        worker.was1.host=192.168.0.23
        worker.was1.port=8009
        worker.was1.lbfactor=1

        worker.was2.type=ajp13
        worker.was2.host=192.168.0.24
        worker.was2.port=8009
        worker.was2.lbfactor=1
        """

    @Test func classicDeployment() {
        let (model, diagnostics) = Self.build(Self.classic)
        #expect(!diagnostics.hasErrors)
        #expect(model.list == ["worker1"])
        let lb = model.worker(named: "worker1")?.loadBalancer
        #expect(lb?.members == ["was1", "was2"])
        #expect(lb?.stickySession == true)
        #expect(model.worker(named: "was1")?.ajp?.host == "192.168.0.23")
        #expect(model.worker(named: "was2")?.ajp?.port == 8009)
        #expect(model.order == ["worker1", "was1", "was2"])
    }

    /// docs/modjk-behaviour.md §2.8: template, reference, secret, status worker.
    static let reference = """
        worker.list=lb,jkstatus
        worker.tmpl.type=ajp13
        worker.tmpl.ping_mode=A
        worker.tmpl.socket_connect_timeout=3000
        worker.tmpl.connection_pool_timeout=600
        worker.tmpl.secret=s3cret
        worker.node1.reference=worker.tmpl
        worker.node1.host=tc1
        worker.node1.port=8009
        worker.node2.reference=worker.tmpl
        worker.node2.host=tc2
        worker.lb.type=lb
        worker.lb.balance_workers=node1,node2
        worker.lb.sticky_session=true
        worker.lb.sticky_session_force=false
        worker.jkstatus.type=status
        """

    @Test func referenceDeployment() {
        let (model, diagnostics) = Self.build(Self.reference)
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        let node2 = model.worker(named: "node2")?.ajp
        #expect(node2?.host == "tc2")
        #expect(node2?.secret == "s3cret")
        #expect(node2?.pingMode == .all)
        #expect(node2?.socketConnectTimeout == Milliseconds(3000))
        #expect(node2?.connectionPoolTimeout == .seconds(600))
        #expect(model.worker(named: "jkstatus")?.typeName == "status")
        #expect(model.worker(named: "tmpl") == nil)
    }

    /// docs/modjk-behaviour.md §11, the observed runs' setup: lb + status worker, two local Tomcats.
    static let observedRuns = """
        worker.list=worker1,jkstatus
        worker.worker1.type=lb
        worker.worker1.balance_workers=was1,was2
        worker.worker1.sticky_session=1
        worker.was1.type=ajp13
        worker.was1.host=127.0.0.1
        worker.was1.port=8009
        worker.was1.lbfactor=1
        worker.was1.secret=abc
        worker.was2.type=ajp13
        worker.was2.host=127.0.0.1
        worker.was2.port=8010
        worker.was2.lbfactor=1
        worker.was2.secret=abc
        worker.jkstatus.type=status
        """

    @Test func observedRunsDeployment() {
        let (model, diagnostics) = Self.build(Self.observedRuns)
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        #expect(model.list == ["worker1", "jkstatus"])
        #expect(model.worker(named: "worker1")?.loadBalancer?.members == ["was1", "was2"])
        #expect(model.worker(named: "was2")?.ajp?.port == 8010)
        #expect(model.worker(named: "was1")?.ajp?.secret == "abc")
        #expect(model.worker(named: "jkstatus")?.typeName == "status")
    }

    /// The shape of tomcat-connectors' conf/workers.properties: repeated list lines.
    @Test func repeatedListsConcatenate() {
        let (model, diagnostics) = Self.build("""
            worker.list=a
            worker.list=lb
            worker.a.port=8010
            worker.lb.type=lb
            worker.lb.balance_workers=a
            worker.lb.balance_workers=b
            worker.b.host=localhost
            """)
        #expect(!diagnostics.hasErrors)
        #expect(model.list == ["a", "lb"])
        #expect(model.worker(named: "lb")?.loadBalancer?.members == ["a", "b"])
    }

    @Test func variablesExpandFromTheFileThenTheEnvironment() {
        let (model, diagnostics) = Self.build(
            """
            tomcat_host=10.1.2.3
            worker.list=w
            worker.w.host=$(tomcat_host)
            worker.w.port=$(AJP_PORT)
            """, environment: ["AJP_PORT": "8011"])
        #expect(!diagnostics.hasErrors)
        #expect(model.worker(named: "w")?.ajp?.host == "10.1.2.3")
        #expect(model.worker(named: "w")?.ajp?.port == 8011)
    }

    @Test(arguments: [("1", true), ("0", false), ("true", true), ("False", false), ("on", true), ("OFF", false), ("yes", true), ("No", false), ("t", true), ("n", false)])
    func booleanSpellings(text: String, value: Bool) {
        #expect(ValueParsing.boolean(text) == value)
    }

    @Test(arguments: [("8192", 8192), ("8k", 8192), ("64K", 65536), ("1M", 1_048_576), ("-1", -1)])
    func integerSuffixes(text: String, value: Int) {
        #expect(ValueParsing.integer(text) == value)
    }

    @Test func deprecatedNamesAreMappedWithAWarning() {
        let (model, diagnostics) = Self.build("""
            worker.list=lb
            worker.lb.type=lb
            worker.lb.balanced_workers=a,b
            worker.a.cachesize=10
            worker.b.disabled=true
            worker.b.jvm_route=node-b
            """)
        #expect(!diagnostics.hasErrors)
        // four deprecations, and both members on localhost:8009 (no host or port given)
        #expect(diagnostics.warnings.count == 5)
        #expect(diagnostics.warnings.contains { $0.message.contains("members 'a' and 'b' both connect to localhost:8009") })
        #expect(model.worker(named: "lb")?.loadBalancer?.members == ["a", "b"])
        #expect(model.worker(named: "a")?.ajp?.connectionPoolSize == 10)
        #expect(model.worker(named: "b")?.ajp?.activation == .disabled)
        #expect(model.worker(named: "b")?.ajp?.route == "node-b")
    }

    @Test func aDeprecatedNameBesideItsCurrentNameIsIgnoredAsInModJk() {
        // mod_jk reads balance_workers (route, activation) first and the old name only when the
        // new one is absent, whatever the order of the lines.
        let (model, diagnostics) = Self.build("""
            worker.list=lb
            worker.lb.type=lb
            worker.lb.balanced_workers=a
            worker.lb.balance_workers=b
            worker.b.jvm_route=old
            worker.b.route=new
            worker.b.activation=S
            worker.b.disabled=true
            """)
        #expect(!diagnostics.hasErrors)
        #expect(model.worker(named: "lb")?.loadBalancer?.members == ["b"])
        #expect(model.worker(named: "b")?.ajp?.route == "new")
        #expect(model.worker(named: "b")?.ajp?.activation == .stopped)
        let ignored = diagnostics.warnings.filter { $0.message.contains("is ignored:") }
        #expect(ignored.count == 3, "\(diagnostics.map(\.description))")
        #expect(ignored.first?.location?.line == 3)
    }

    @Test func deprecatedNamesAreReadAfterReferenceInheritanceAsInModJk() {
        // The template's current name reaches the worker first and wins over the worker's own
        // old name; the template's old name reaches a worker that sets nothing.
        let (model, diagnostics) = Self.build("""
            worker.list=a,b
            worker.tmpl.route=fromtemplate
            worker.tmpl.cachesize=7
            worker.a.reference=worker.tmpl
            worker.a.jvm_route=own
            worker.b.reference=worker.tmpl
            worker.b.port=8010
            """)
        #expect(!diagnostics.hasErrors)
        #expect(model.worker(named: "a")?.ajp?.route == "fromtemplate")
        #expect(model.worker(named: "a")?.ajp?.connectionPoolSize == 7)
        #expect(model.worker(named: "b")?.ajp?.connectionPoolSize == 7)
        #expect(diagnostics.warnings.contains { $0.message.contains("'worker.a.jvm_route' is ignored") && $0.location?.line == 5 })
    }

    @Test(arguments: ["worker.w.disabled=true\nworker.w.stopped=true", "worker.w.stopped=true\nworker.w.disabled=true"])
    func stoppedIsReadBeforeDisabledWhateverTheOrder(lines: String) {
        let (model, diagnostics) = Self.build("worker.list=w\n\(lines)\n")
        #expect(model.worker(named: "w")?.ajp?.activation == .stopped)
        #expect(diagnostics.warnings.contains { $0.message.contains("'worker.w.disabled' is ignored") && $0.message.contains("stopped first") })
    }

    @Test func aFalseDeprecatedFlagSetsNothingAndRecycleTimeoutIsIgnored() {
        // mod_jk reads recycle_timeout nowhere: the Tomcat 5 template's 300 must not replace
        // cache_timeout's 600.
        let (model, diagnostics) = Self.build("""
            worker.list=w
            worker.w.stopped=false
            worker.w.cache_timeout=600
            worker.w.recycle_timeout=300
            """)
        #expect(!diagnostics.hasErrors)
        #expect(model.worker(named: "w")?.ajp?.activation == .active)
        #expect(model.worker(named: "w")?.ajp?.connectionPoolTimeout == .seconds(600))
        #expect(diagnostics.warnings.contains { $0.message.contains("recycle_timeout' is obsolete and ignored") && $0.location?.line == 4 })
    }

    @Test func bytesThatAreNotUTF8OnlyMatterWhereAWorkerUsesThem() {
        let (_, fine) = Self.build(
            "# Konfiguration f\u{FFFD}r Tomcat\nnotes.owner=J\u{FFFD}rg\nworker.list=a\nworker.a.host=localhost\n"
                + "worker.a.class_path=C:\\Biblioth\u{FFFD}ques\\tomcat.jar\n")
        #expect(!fine.hasErrors, "\(fine.map(\.description))")
        let (_, used) = Self.build("my.route=n\u{FFFD}ud\nworker.list=a\nworker.a.route=$(my.route)\n")
        #expect(used.errors.map(\.location?.line) == [3], "\(used.map(\.description))")
    }

    @Test func duplicateUniqueKeyWarnsAndTheLastWins() {
        let (model, diagnostics) = Self.build("worker.list=w\nworker.w.port=8009\nworker.w.port=8010\n")
        #expect(model.worker(named: "w")?.ajp?.port == 8010)
        #expect(diagnostics.warnings.first?.location?.line == 3)
    }

    @Test func hostMayEmbedThePort() {
        let (model, _) = Self.build("worker.list=w\nworker.w.host=tc1:8010\n")
        #expect(model.worker(named: "w")?.ajp?.host == "tc1")
        #expect(model.worker(named: "w")?.ajp?.port == 8010)
    }

    @Test func routeWithADotGivesTheDomain() {
        let (model, _) = Self.build("worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.a.route=dom1.a\n")
        #expect(model.worker(named: "a")?.ajp?.domain == "dom1")
    }

    @Test func lbSecretIsInheritedByMembersWithoutOne() {
        let (model, _) = Self.build("""
            worker.list=lb
            worker.lb.type=lb
            worker.lb.balance_workers=a,b
            worker.lb.secret=S
            worker.b.secret=own
            """)
        #expect(model.worker(named: "a")?.ajp?.secret == "S")
        #expect(model.worker(named: "b")?.ajp?.secret == "own")
    }
}
