import JKBalancer
import JKCore

/// Turns validated properties into the typed worker model, reporting every bad value with its
/// file:line (mod_jk would silently fall back to the default).
public enum WorkersConfigurationBuilder {
    /// Parses workers.properties text plus `JkWorkerProperty` lines.
    public static func build(
        text: String?, file: String, extraLines: [PropertyLine] = [], environment: [String: String],
        predefined: [String: String] = [:]
    ) -> (WorkersConfiguration, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        var lines: [PropertyLine] = []
        if let text {
            let lexed = PropertiesLexer.lex(text, file: file)
            lines = lexed.lines
            diagnostics += lexed.diagnostics
        }
        lines += extraLines
        let expanded = PropertyVariables.expand(lines, environment: environment, predefined: predefined)
        diagnostics += expanded.diagnostics
        var (properties, collectProblems) = WorkerProperties.collect(expanded.lines)
        diagnostics += collectProblems
        diagnostics += properties.resolveReferences()
        var (model, modelProblems) = build(properties)
        // `cmd=dump` of the status worker: the properties as read (secrets masked).
        model.dump = expanded.lines.map { line in
            "\(line.key)=\(line.key.hasSuffix(".secret") || line.key.hasSuffix(".secretkey") ? "********" : line.value)"
        }
        return (model, diagnostics + modelProblems)
    }

    public static func build(_ properties: WorkerProperties) -> (WorkersConfiguration, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        var model = WorkersConfiguration()
        if let list = properties.list {
            var seen = Set<String>()
            for name in ValueParsing.list(list.value) where seen.insert(name).inserted { model.list.append(name) }
        } else {
            // mod_jk's default worker.list is "ajp13".
            model.list = ["ajp13"]
        }
        if let maintain = properties.maintain {
            if let seconds = ValueParsing.integer(maintain.value), seconds > 0 {
                model.maintainInterval = .seconds(seconds)
            } else {
                diagnostics.append(.error("worker.maintain='\(maintain.value)': expected a positive number of seconds", at: maintain.location))
            }
        }
        // Instantiate the listed workers and every lb member (members need not be listed).
        var pending = model.list
        // Where a name was given: worker.list, or the balance_workers of the lb naming it.
        var namedBy: [String: (lb: String?, location: SourceLocation?)] = [:]
        for name in model.list { namedBy[name] = (nil, properties.list?.location) }
        var index = 0
        var lbSecrets: [String: String] = [:]
        let defined = properties.order.filter { !(properties.workers[$0] ?? [:]).isEmpty }
        while index < pending.count {
            let name = pending[index]
            index += 1
            guard model.workers[name] == nil else { continue }
            let attributes = properties.workers[name] ?? [:]
            var worker: Worker
            if attributes.isEmpty {
                let origin = namedBy[name] ?? (nil, nil)
                let hint = Suggestions.nearest(to: name, in: defined.filter { $0 != name }, maxDistance: 2).map { " — did you mean \($0)?" } ?? ""
                if let lb = origin.lb {
                    diagnostics.append(
                        .warning("lb '\(lb)' names member '\(name)', which has no properties: it is an ajp13 worker for localhost:8009 (as in mod_jk)\(hint)", at: origin.location))
                } else {
                    diagnostics.append(
                        .warning("worker '\(name)' is listed but has no properties: it is an ajp13 worker for localhost:8009 (as in mod_jk)\(hint)", at: origin.location))
                }
                var parser = AttributeReader(worker: name, attributes: attributes)
                worker = parser.read()
                diagnostics += parser.diagnostics
                worker.location = origin.location
            } else {
                var parser = AttributeReader(worker: name, attributes: attributes)
                worker = parser.read()
                diagnostics += parser.diagnostics
            }
            if let lb = worker.loadBalancer {
                let at = attributes["balance_workers"]?.location ?? worker.location
                for member in lb.members where namedBy[member] == nil { namedBy[member] = (name, at) }
                for member in lb.members where !pending.contains(member) { pending.append(member) }
                if let secret = lb.secret { for member in lb.members { lbSecrets[member] = lbSecrets[member] ?? secret } }
            }
            model.workers[name] = worker
            model.order.append(name)
        }
        // An lb's secret is inherited by members that have none (jk_lb_worker.c).
        for (member, secret) in lbSecrets {
            guard var worker = model.workers[member], var ajp = worker.ajp, ajp.secret == nil else { continue }
            ajp.secret = secret
            worker.kind = .ajp13(ajp)
            model.workers[member] = worker
        }
        diagnostics += validateBalancers(model, properties)
        model.unlisted = properties.order.filter { model.workers[$0] == nil && !(properties.workers[$0] ?? [:]).isEmpty }
        return (model, diagnostics)
    }

    static func validateBalancers(_ model: WorkersConfiguration, _ properties: WorkerProperties) -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        for name in model.order {
            guard let worker = model.workers[name], let lb = worker.loadBalancer else { continue }
            let at = properties.workers[name]?["balance_workers"]?.location ?? worker.location
            if lb.members.isEmpty {
                diagnostics.append(.error("lb worker '\(name)' has no balance_workers", at: at))
                continue
            }
            if lb.members.count > Balancer.maxMembers {
                diagnostics.append(.error("lb worker '\(name)' has \(lb.members.count) members; at most \(Balancer.maxMembers) are supported", at: at))
            }
            var routes: [String: String] = [:]
            var endpoints: [String: String] = [:]
            for member in lb.members {
                guard let memberWorker = model.workers[member] else { continue }
                guard let ajp = memberWorker.ajp else {
                    diagnostics.append(
                        .error("lb worker '\(name)': member '\(member)' is a \(memberWorker.typeName) worker; members must be ajp13", at: at))
                    continue
                }
                let endpoint = "\(ajp.host.lowercased()):\(ajp.port)"
                if let other = endpoints[endpoint] {
                    diagnostics.append(
                        .warning("lb worker '\(name)': members '\(other)' and '\(member)' both connect to \(ajp.host):\(ajp.port): they are the same Tomcat, which answers with one jvmRoute, so the sessions of one of them never stick (a copied host or port?)", at: memberWorker.location ?? at))
                }
                endpoints[endpoint] = endpoints[endpoint] ?? member
                let route = ajp.route ?? member
                if let other = routes[route] {
                    diagnostics.append(.error("lb worker '\(name)': members '\(other)' and '\(member)' have the same route '\(route)'", at: at))
                }
                routes[route] = member
            }
        }
        return diagnostics
    }
}

/// Reads one worker's attributes into the typed model.
struct AttributeReader {
    let worker: String
    let attributes: [String: PropertyValue]
    var diagnostics: [ConfigDiagnostic] = []

    init(worker: String, attributes: [String: PropertyValue]) {
        self.worker = worker
        self.attributes = attributes
    }

    mutating func read() -> Worker {
        let typeValue = attributes["type"]
        let type = typeValue?.value.lowercased() ?? "ajp13"
        let location = attributes.values.map(\.location).min { ($0.file, $0.line) < ($1.file, $1.line) }
        var mounts: [String] = []
        if let mount = attributes["mount"] { mounts = mount.value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init) }
        let kind: Worker.Kind
        switch type {
        case "ajp13":
            kind = .ajp13(ajp())
        case "ajp14":
            diagnostics.append(.warning("worker '\(worker)': type ajp14 is served as ajp13 (no login handshake)", at: typeValue?.location))
            kind = .ajp13(ajp())
        case "lb":
            kind = .lb(loadBalancer())
        case "status":
            kind = .status(status())
        case "ajp12":
            diagnostics.append(.error("worker '\(worker)': type ajp12 is obsolete and not supported", at: typeValue?.location))
            kind = .ajp13(AJPWorkerSettings())
        default:
            let hint = Suggestions.nearest(to: type, in: ["ajp13", "lb", "status"]).map { " — did you mean \($0)?" } ?? ""
            diagnostics.append(.error("worker '\(worker)': unknown type '\(type)'\(hint)", at: typeValue?.location))
            kind = .ajp13(AJPWorkerSettings())
        }
        checkApplicability(type: type)
        return Worker(name: worker, kind: kind, location: location, mounts: mounts)
    }

    /// mod_jk accepts any known property on any worker and ignores what does not apply; say so.
    mutating func checkApplicability(type: String) {
        let types: PropertySpec.Types
        switch type {
        case "lb": types = .lb
        case "status": types = .status
        default: types = [.ajp, .member]
        }
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            guard let entry = PropertySpec.attributes[name], entry.types.isDisjoint(with: types) else { continue }
            diagnostics.append(
                .warning("'worker.\(worker).\(name)' does not apply to a \(type) worker and is ignored", at: value.location))
        }
    }

    // MARK: Typed readers

    mutating func integer(_ name: String, min minimum: Int = 0, max maximum: Int = Int.max) -> Int? {
        guard let value = attributes[name] else { return nil }
        guard let parsed = ValueParsing.integer(value.value), parsed >= minimum, parsed <= maximum else {
            let range = maximum == Int.max ? "a number ≥ \(minimum)" : "a number from \(minimum) to \(maximum)"
            diagnostics.append(.error("worker.\(worker).\(name)='\(value.value)': expected \(range)", at: value.location))
            return nil
        }
        return parsed
    }

    mutating func boolean(_ name: String) -> Bool? {
        guard let value = attributes[name] else { return nil }
        guard let parsed = ValueParsing.boolean(value.value) else {
            diagnostics.append(
                .error("worker.\(worker).\(name)='\(value.value)': expected a boolean (true/false, on/off, 1/0, yes/no)", at: value.location))
            return nil
        }
        return parsed
    }

    func string(_ name: String) -> String? { attributes[name]?.value }

    mutating func milliseconds(_ name: String) -> Milliseconds? { integer(name).map { Milliseconds($0) } }
    mutating func seconds(_ name: String) -> Milliseconds? { integer(name).map { Milliseconds.seconds($0) } }

    mutating func ajp() -> AJPWorkerSettings {
        var settings = AJPWorkerSettings()
        settings.hostLocation = attributes["host"]?.location
        if let host = string("host") {
            // "host:port" is accepted (jk_ajp_common.c); a bare IPv6 literal is not split.
            if let colon = host.lastIndex(of: ":"), !host.contains("]") || host.hasPrefix("["),
                host.firstIndex(of: ":") == colon, let port = Int(host[host.index(after: colon)...])
            {
                settings.host = String(host[..<colon])
                settings.port = port
            } else {
                settings.host = host
            }
            if settings.host.isEmpty {
                diagnostics.append(.error("worker.\(worker).host is empty", at: attributes["host"]?.location))
            }
        }
        if let port = integer("port", max: 65535) { settings.port = port }
        settings.secret = string("secret")
        settings.source = string("source")
        if let value = boolean("prefer_ipv6") { settings.preferIPv6 = value }
        if let value = seconds("socket_timeout") { settings.socketTimeout = value }
        settings.socketConnectTimeout = milliseconds("socket_connect_timeout")
        if settings.socketConnectTimeout == nil, attributes["socket_timeout"] != nil, settings.socketTimeout.value > 0 {
            settings.socketConnectTimeout = settings.socketTimeout
        }
        settings.socketKeepalive = boolean("socket_keepalive")
        if let value = integer("socket_buffer") { settings.socketBuffer = value }
        if let value = attributes["ping_mode"] {
            if let mode = PingMode(parsing: value.value) {
                settings.pingMode = mode
            } else {
                diagnostics.append(.error("worker.\(worker).ping_mode='\(value.value)': use the letters C, P, I or A", at: value.location))
            }
        }
        settings.pingTimeout = milliseconds("ping_timeout")
        // The legacy timeouts switch their CPING mode on by themselves (mod_jk), on top of the
        // ping_mode in effect (SwiftJK's safe default when none is given).
        if let value = milliseconds("connect_timeout") {
            settings.connectTimeout = value
            if value.value > 0 { settings.pingMode = (settings.pingMode ?? AJPWorkerSettings.SafeDefaults.pingMode).union(.connect) }
        }
        if let value = milliseconds("prepost_timeout") {
            settings.prepostTimeout = value
            if value.value > 0 { settings.pingMode = (settings.pingMode ?? AJPWorkerSettings.SafeDefaults.pingMode).union(.prepost) }
        }
        settings.connectionPingInterval = seconds("connection_ping_interval")
        if let value = milliseconds("reply_timeout") { settings.replyTimeout = value }
        if let value = integer("retries", min: 1) { settings.retries = value }
        if let value = milliseconds("retry_interval") { settings.retryInterval = value }
        if let value = integer("recovery_options", max: 31) { settings.recoveryOptions = value }
        if let value = attributes["fail_on_status"] {
            let codes = ValueParsing.list(value.value).map { Int($0) }
            if codes.contains(nil) || codes.contains(where: { abs($0 ?? 0) < 100 || abs($0 ?? 0) > 999 }) {
                diagnostics.append(
                    .error("worker.\(worker).fail_on_status='\(value.value)': expected HTTP status codes (negative: do not mark the member in error)", at: value.location))
            } else {
                settings.failOnStatus = codes.compactMap { $0 }
            }
        }
        if let value = integer("busy_limit") { settings.busyLimit = value }
        if let value = attributes["max_packet_size"] {
            if let size = ValueParsing.integer(value.value), size > 0 {
                let normalized = AJPPacketSizeRule.normalized(size)
                settings.maxPacketSize = normalized
                if normalized != size {
                    diagnostics.append(
                        .info("worker.\(worker).max_packet_size=\(size) is used as \(normalized) (multiple of 1024 in 8192…65536)", at: value.location))
                }
            } else {
                diagnostics.append(.error("worker.\(worker).max_packet_size='\(value.value)': expected a size in bytes", at: value.location))
            }
        }
        settings.connectionPoolSize = integer("connection_pool_size", min: 1)
        settings.connectionPoolMinsize = integer("connection_pool_minsize")
        settings.connectionPoolTimeout = seconds("connection_pool_timeout")
        settings.connectionAcquireTimeout = milliseconds("connection_acquire_timeout")
        if let value = integer("lbfactor", min: 1, max: 100_000) { settings.lbFactor = value }
        settings.slowStart = seconds("slow_start")
        settings.drainTimeout = seconds("drain_timeout")
        settings.route = string("route")
        if let domain = string("domain") { settings.domain = domain }
        // mod_jk keeps these in 64-byte shared-memory fields, as SwiftJK does (63 bytes of text).
        for name in ["route", "domain", "redirect"] {
            if let value = attributes[name], value.value.utf8.count > 63 {
                diagnostics.append(.error("worker.\(worker).\(name) is \(value.value.utf8.count) bytes long; at most 63 fit (as in mod_jk's shared memory)", at: value.location))
            }
        }
        if settings.domain.isEmpty, let route = settings.route, let dot = route.firstIndex(of: ".") {
            settings.domain = String(route[..<dot])
        }
        if let redirect = string("redirect") { settings.redirect = redirect }
        if let value = integer("distance") { settings.distance = value }
        if let value = attributes["activation"] {
            if let activation = Activation(parsing: value.value) {
                settings.activation = activation
            } else {
                diagnostics.append(.error("worker.\(worker).activation='\(value.value)': use A (active), D (disabled) or S (stopped)", at: value.location))
            }
        }
        return settings
    }

    mutating func loadBalancer() -> LoadBalancerSettings {
        var settings = LoadBalancerSettings()
        if let members = string("balance_workers") {
            var seen = Set<String>()
            for member in ValueParsing.list(members) where seen.insert(member).inserted { settings.members.append(member) }
        }
        if let value = boolean("sticky_session") { settings.stickySession = value }
        if let value = boolean("sticky_session_force") { settings.stickySessionForce = value }
        if let value = attributes["method"] {
            if let method = LoadBalancingMethodKind(parsing: value.value) {
                settings.method = method
            } else {
                diagnostics.append(
                    .error("worker.\(worker).method='\(value.value)': use Request, Session, Next, Traffic or Busyness", at: value.location))
            }
        }
        if let value = attributes["lock"] {
            switch value.value.first {
            case "o", "O": settings.pessimisticLock = false
            case "p", "P": settings.pessimisticLock = true
            default: diagnostics.append(.error("worker.\(worker).lock='\(value.value)': use Optimistic or Pessimistic", at: value.location))
            }
        }
        if let value = integer("retries", min: 1) { settings.retries = value }
        if let value = integer("lb_retries", min: 1) { settings.lbRetries = value }
        if let value = milliseconds("retry_interval") { settings.retryInterval = value }
        if let value = integer("recover_time", min: 1) { settings.recoverTime = .seconds(value) }
        settings.errorEscalationTime = seconds("error_escalation_time")
        if let value = integer("max_reply_timeouts") { settings.maxReplyTimeouts = value }
        if let value = string("session_cookie") { settings.sessionCookie = value }
        if let value = string("session_path") { settings.sessionPath = value }
        if let value = boolean("set_session_cookie") { settings.setSessionCookie = value }
        if let value = string("session_cookie_path") { settings.sessionCookiePath = value }
        settings.secret = string("secret")
        if let value = integer("max_packet_size", min: 1) { settings.maxPacketSize = AJPPacketSizeRule.normalized(value) }
        if let value = seconds("slow_start") { settings.slowStart = value }
        if let value = seconds("drain_timeout") { settings.drainTimeout = value }
        return settings
    }

    mutating func status() -> StatusWorkerSettings {
        var settings = StatusWorkerSettings()
        if let value = boolean("read_only") { settings.readOnly = value }
        if let value = string("user") { settings.users = ValueParsing.list(value) }
        if let value = boolean("user_case_insensitive") { settings.userCaseInsensitive = value }
        if let value = string("good") { settings.good = ValueParsing.list(value) }
        if let value = string("bad") { settings.bad = ValueParsing.list(value) }
        settings.css = string("css")
        if let value = string("prefix") { settings.prefix = value }
        if let value = string("ns") { settings.ns = value }
        if let value = string("xmlns") { settings.xmlns = value }
        settings.doctype = string("doctype")
        if let value = boolean("allow_get_updates") { settings.allowGetUpdates = value }
        return settings
    }
}

/// mod_jk's `jk_get_max_packet_size` rounding (kept here so JKConfig needs no codec import).
public enum AJPPacketSizeRule {
    public static func normalized(_ requested: Int) -> Int {
        guard requested > 0 else { return 8192 }
        let rounded = requested >= 65536 ? 65536 : (requested + 1023) & ~1023
        return min(max(rounded, 8192), 65536)
    }
}
