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
        // `JkWorkerProperty` lines come first and the file after them, as in mod_jk (the
        // directives fill its property map at configuration time, the file is read into the same
        // map later): the file's value wins a duplicate, and the file can use their $(names).
        var lines = extraLines
        if let text {
            let lexed = PropertiesLexer.lex(text, file: file)
            lines += lexed.lines
            diagnostics += lexed.diagnostics
        }
        let expanded = PropertyVariables.expand(lines, environment: environment, predefined: predefined)
        diagnostics += expanded.diagnostics
        // Variables that no worker property uses may hold anything; what a worker gets may not.
        for line in expanded.lines where line.key.hasPrefix("worker.") && ConfigText.hasInvalidUTF8(line.key + line.value)
            && !PropertySpec.isObsolete(line.key) {
            diagnostics.append(.error(ConfigText.notUTF8("'\(line.key)'"), at: line.location))
        }
        var (properties, collectProblems) = WorkerProperties.collect(expanded.lines)
        diagnostics += collectProblems
        diagnostics += properties.resolveReferences()
        diagnostics += properties.applyDeprecatedNames()
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

    // MARK: Typed readers (the rows of `PropertyRows`)

    mutating func ajp() -> AJPWorkerSettings {
        var settings = AJPWorkerSettings()
        diagnostics += PropertyRows.read(PropertyRows.ajp, into: &settings, attributes: attributes, worker: worker)
        settings.finishReading(attributes, worker: worker)
        return settings
    }

    mutating func loadBalancer() -> LoadBalancerSettings {
        var settings = LoadBalancerSettings()
        diagnostics += PropertyRows.read(PropertyRows.loadBalancer, into: &settings, attributes: attributes, worker: worker)
        return settings
    }

    mutating func status() -> StatusWorkerSettings {
        var settings = StatusWorkerSettings()
        diagnostics += PropertyRows.read(PropertyRows.status, into: &settings, attributes: attributes, worker: worker)
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
