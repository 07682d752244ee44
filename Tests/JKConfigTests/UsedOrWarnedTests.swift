import Glibc
import JKConfig
import Testing

/// Every worker property SwiftJK accepts is either used (setting it changes the worker model the
/// module runs on) or warned about when set: nothing is parsed and silently dropped. A property
/// added to the table without a sample value here fails `everyAcceptedPropertyHasASample`.
struct UsedOrWarnedTests {
    /// A value different from the default, per property.
    static let samples: [String: String] = [
        "host": "10.1.1.1", "port": "8010", "source": "127.0.0.2", "prefer_ipv6": "true", "socket_timeout": "5",
        "socket_connect_timeout": "1234", "socket_keepalive": "false", "socket_buffer": "65536", "ping_mode": "P",
        "ping_timeout": "1111", "connect_timeout": "2222", "prepost_timeout": "3333", "connection_ping_interval": "77",
        "reply_timeout": "4444", "recovery_options": "3", "busy_limit": "5", "connection_pool_size": "7",
        "connection_pool_minsize": "2", "connection_pool_timeout": "99", "connection_acquire_timeout": "555", "lbfactor": "4",
        "route": "rX", "domain": "dX", "redirect": "wB", "distance": "3", "activation": "D", "retries": "5",
        "retry_interval": "250", "max_packet_size": "16384", "secret": "s3cret", "fail_on_status": "503", "slow_start": "30",
        "drain_timeout": "60", "mount": "/x/*", "sticky_session": "0", "sticky_session_force": "1", "method": "B", "lock": "P",
        "lb_retries": "3", "recover_time": "30", "error_escalation_time": "10", "max_reply_timeouts": "2",
        "session_cookie": "SID", "session_path": ";sid", "set_session_cookie": "true", "session_cookie_path": "/app",
        "read_only": "true", "user_case_insensitive": "true", "css": "/s.css", "prefix": "stat", "ns": "x:",
        "xmlns": "xmlns:x=\"u\"", "doctype": "<!DOCTYPE x>", "allow_get_updates": "true", "user": "alice", "good": "a.o",
        "bad": "s",
    ]
    /// Set by the base configuration itself.
    static let structural: Set<String> = ["type", "reference", "balance_workers"]

    static let base = """
        worker.list=lb,wA,st
        worker.lb.type=lb
        worker.lb.balance_workers=wA,wB
        worker.wA.type=ajp13
        worker.wB.type=ajp13
        worker.st.type=status

        """

    static func model(_ extra: String) -> (String, [ConfigDiagnostic]) {
        let (model, diagnostics) = WorkersConfigurationBuilder.build(text: base + extra, file: "workers.properties", environment: [:])
        let text = model.order.map { "\($0): \(String(describing: model.workers[$0]))" }.joined(separator: "\n")
            + "\nmounts: \(model.workers.values.map(\.mounts).sorted { "\($0)" < "\($1)" })"
        return (text, diagnostics)
    }

    static var acceptedNames: [String] {
        PropertySpec.attributes.filter { entry in
            switch entry.value.kind {
            case .unique, .list: true
            default: false
            }
        }.keys.filter { !structural.contains($0) }.sorted()
    }

    @Test func everyAcceptedPropertyHasASample() {
        let missing = Self.acceptedNames.filter { Self.samples[$0] == nil }
        #expect(missing.isEmpty, "add a sample value (and check it is used): \(missing)")
    }

    @Test(arguments: acceptedNames)
    func settingItChangesTheModelOrWarns(_ name: String) {
        guard let value = Self.samples[name], let entry = PropertySpec.attributes[name] else { return }
        let (plain, _) = Self.model("")
        // The worker of a type it applies to.
        let worker = entry.types.contains(.status) && !entry.types.contains(.ajp) ? "st"
            : entry.types.contains(.lb) && !entry.types.contains(.ajp) ? "lb" : "wA"
        let (changed, diagnostics) = Self.model("worker.\(worker).\(name)=\(value)\n")
        let warned = diagnostics.contains { $0.severity != .info && $0.message.contains(name) }
        #expect(changed != plain || warned, "worker.\(worker).\(name)=\(value) neither changes the model nor warns: \(diagnostics)")
        #expect(!diagnostics.contains { $0.severity == .error }, "\(name): \(diagnostics)")
    }
}

/// Every Jk directive of the table is either used (it changes the configuration) or warned about.
struct DirectivesUsedOrWarnedTests {
    static let samples: [String: String] = [
        "JkWorkersFile": "other.properties", "JkWorkerProperty": "worker.w1.lbfactor=3", "JkShmFile": "/run/jk.shm",
        "JkShmSize": "64", "JkMount": "/app/* w1", "JkUnMount": "/app/static/* w1", "JkMountFile": "uri.properties",
        "JkMountFileReload": "5", "JkMountCopy": "On", "JkAutoAlias": "/srv/webapps", "JkWorkerIndicator": "MY_WORKER",
        "JkWatchdogInterval": "5", "JkLogFile": "logs/other.log", "JkLogLevel": "debug", "JkLogStampFormat": "[%H:%M] ",
        "JkRequestLogFormat": "%w %V %T", "JkRequestIdIndicator": "MY_ID", "JkExtractSSL": "Off",
        "JkHTTPSIndicator": "MY_HTTPS", "JkSSLPROTOCOLIndicator": "MY_PROTO", "JkCERTSIndicator": "MY_CERT",
        "JkCIPHERIndicator": "MY_CIPHER", "JkSESSIONIndicator": "MY_SESSION", "JkKEYSIZEIndicator": "MY_KEYSIZE",
        "JkCERTCHAINPrefix": "MY_CHAIN_", "JkRemoteAddrIndicator": "MY_ADDR", "JkRemotePortIndicator": "MY_PORT",
        "JkRemoteHostIndicator": "MY_HOST", "JkRemoteUserIndicator": "MY_USER", "JkAuthTypeIndicator": "MY_AUTH",
        "JkLocalNameIndicator": "MY_LNAME", "JkLocalAddrIndicator": "MY_LADDR", "JkLocalPortIndicator": "MY_LPORT",
        "JkIgnoreCLIndicator": "MY_IGNORECL", "JkOptions": "+FlushPackets", "JkEnvVar": "MY_VAR", "JkStripSession": "On",
    ]

    static let files = [
        "/srv/workers.properties": "worker.list=w1\nworker.w1.host=127.0.0.1\nworker.w1.secret=s\n",
        "/srv/other.properties": "worker.list=w1\nworker.w1.host=127.0.0.2\nworker.w1.secret=s\n",
        "/srv/uri.properties": "/u/*=w1\n",
    ]

    static func configuration(_ extra: String) -> (String, [ConfigDiagnostic]) {
        let conf = "JkWorkersFile workers.properties\n" + extra
        let read = HttpdConfigReader.read(
            path: "/srv/httpd.conf", serverRoot: "/srv", readFile: { $0 == "/srv/httpd.conf" ? conf : files[$0] }, glob: { _ in [] })
        let (configuration, diagnostics) = ConfigurationLoader.load(
            servers: read.servers, serverRoot: "/srv", environment: [:],
            readFile: { path in files[path].map { .success($0) } ?? .failure(.init("cannot open '\(path)'")) })
        return (String(describing: configuration), read.diagnostics + diagnostics)
    }

    @Test func everyDirectiveHasASample() {
        let missing = DirectiveTable.rows.map(\.name).filter { Self.samples[$0] == nil }
        #expect(missing.isEmpty, "add a sample value (and check it is used): \(missing)")
    }

    @Test(arguments: DirectiveTable.rows.map(\.name))
    func settingItChangesTheConfigurationOrWarns(_ name: String) {
        guard let value = Self.samples[name] else { return }
        let (plain, _) = Self.configuration("")
        let (changed, diagnostics) = Self.configuration("\(name) \(value)\n")
        let warned = diagnostics.contains { $0.severity != .info && ($0.message.contains(name) || $0.location?.line == 2) }
        #expect(changed != plain || warned, "\(name) \(value) neither changes the configuration nor warns: \(diagnostics)")
    }
}

/// The C shim's `jk_cmds` lists exactly the directives of `DirectiveTable`, with the same
/// arities (one table, read by the checker and the module).
struct DirectiveTableMatchesTheShimTests {
    static func shimSource() -> String? {
        let root = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        guard let file = fopen("/" + root + "/Sources/CSwiftJKShim/mod_jk.c", "r") else { return nil }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil { text += String(cString: buffer) }
        return text
    }

    @Test func jkCmdsAndTheTableAgree() throws {
        let source = try #require(Self.shimSource())
        let table = source.split(separator: "jk_cmds[]").dropFirst().first?.split(separator: "{ NULL }").first ?? ""
        var shim: [String: DirectiveTable.Arity] = [:]
        for line in table.split(separator: "\n") {
            guard let open = line.firstIndex(of: "\""), let close = line[line.index(after: open)...].firstIndex(of: "\"") else { continue }
            let name = String(line[line.index(after: open)..<close])
            guard name.hasPrefix("Jk") else { continue }
            let arity: DirectiveTable.Arity =
                line.contains("RAW_ARGS") ? .rawArguments : line.contains("FLAG") ? .flag : line.contains("ITERATE") ? .iterate
                : line.contains("TAKE12") ? .oneOrTwo : .one
            shim[name] = arity
        }
        let rows = Dictionary(uniqueKeysWithValues: DirectiveTable.rows.map { ($0.name, $0.arity) })
        #expect(shim == rows)
    }
}
