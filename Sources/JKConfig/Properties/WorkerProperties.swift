/// A property value with where it was written.
public struct PropertyValue: Sendable, Equatable {
    public var value: String
    public var location: SourceLocation

    public init(_ value: String, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// workers.properties after duplicate handling, deprecation mapping, validation of names and
/// `reference=` inheritance: worker name → attribute → value.
public struct WorkerProperties: Sendable {
    public var list: PropertyValue?
    public var maintain: PropertyValue?
    public var workers: [String: [String: PropertyValue]] = [:]
    /// Worker names in order of first appearance.
    public var order: [String] = []

    public init() {}

    /// Builds the map from expanded lines (file lines first, then `JkWorkerProperty` lines).
    public static func collect(_ lines: [PropertyLine]) -> (WorkerProperties, [ConfigDiagnostic]) {
        var result = WorkerProperties()
        var diagnostics: [ConfigDiagnostic] = []
        // Values given under a deprecated name: they count only where the current name is not
        // set anywhere, as in mod_jk (which reads the current name first).
        var deprecated: [(worker: String, attribute: String, key: String, value: PropertyValue, kind: PropertySpec.Kind)] = []
        for line in lines {
            guard line.key.hasPrefix("worker.") else {
                // A variable definition (for $(NAME)), as in mod_jk; a near-miss of "worker."
                // is almost always a typo that silently drops the line.
                if let hint = nearMissOfWorker(line.key) {
                    diagnostics.append(
                        .warning("'\(line.key)' does not start with 'worker.', so it is read as a variable, not a worker property — did you mean \(hint)?", at: line.location))
                }
                continue
            }
            let rest = line.key.dropFirst("worker.".count)
            // The property is what follows the last dot: no property name has one, and mod_jk
            // matches properties by suffix, so a worker may be named `app.v2`.
            guard let dot = rest.lastIndex(of: ".") else {
                let name = String(rest)
                guard let kind = PropertySpec.globals[name] else {
                    let hint = Suggestions.nearest(to: name, in: PropertySpec.globals.keys.sorted()).map { " — did you mean worker.\($0)?" } ?? ""
                    diagnostics.append(.error("unknown property '\(line.key)'\(hint)", at: line.location))
                    continue
                }
                let value = PropertyValue(line.value, at: line.location)
                if name == "list" {
                    result.list = merge(result.list, value, kind: kind, key: line.key, diagnostics: &diagnostics)
                } else {
                    result.maintain = merge(result.maintain, value, kind: kind, key: line.key, diagnostics: &diagnostics)
                }
                continue
            }
            let worker = String(rest[..<dot])
            let attribute = String(rest[rest.index(after: dot)...])
            var value = line.value
            guard isValidWorkerName(worker) else {
                diagnostics.append(
                    .error("invalid worker name '\(worker)' in '\(line.key)': use letters, digits, '_', '-' and '.' (at most 60)", at: line.location))
                continue
            }
            guard let entry = PropertySpec.attributes[attribute] else {
                let hint = PropertySpec.suggestion(for: attribute).map { " — did you mean \($0)?" } ?? ""
                diagnostics.append(.error("unknown property '\(attribute)' in '\(line.key)'\(hint)", at: line.location))
                continue
            }
            let kind = entry.kind
            switch entry.kind {
            case .deprecated(let replacement, let mapped):
                diagnostics.append(
                    .warning("'\(line.key)' is deprecated; use 'worker.\(worker).\(replacement)'", at: line.location))
                if let mapped {
                    // disabled=true → activation=D, stopped=true → activation=S.
                    guard ValueParsing.boolean(value) == true else { continue }
                    value = mapped
                }
                if result.workers[worker] == nil {
                    result.workers[worker] = [:]
                    result.order.append(worker)
                }
                deprecated.append((worker, replacement, line.key, PropertyValue(value, at: line.location),
                                   PropertySpec.attributes[replacement]?.kind ?? .unique))
                continue
            case .obsolete:
                let why = line.key.hasSuffix(".secretkey") || line.key.hasSuffix(".secret_key")
                    ? ": it is mod_jk's ajp14 login key, and SwiftJK speaks ajp13 only. The AJP secret Tomcat checks is worker.\(worker).secret"
                    : ""
                diagnostics.append(.warning("'\(line.key)' is obsolete and ignored\(why)", at: line.location))
                continue
            case .unique, .list:
                break
            }
            if result.workers[worker] == nil {
                result.workers[worker] = [:]
                result.order.append(worker)
            }
            let previous = result.workers[worker]?[attribute]
            result.workers[worker]?[attribute] = merge(
                previous, PropertyValue(value, at: line.location), kind: kind, key: "worker.\(worker).\(attribute)",
                diagnostics: &diagnostics)
        }
        var fromDeprecated: [String: [String: PropertyValue]] = [:]
        for entry in deprecated {
            if let current = result.workers[entry.worker]?[entry.attribute] {
                diagnostics.append(
                    .warning("'\(entry.key)' is ignored: 'worker.\(entry.worker).\(entry.attribute)' is set (at \(current.location)), as in mod_jk", at: entry.value.location))
                continue
            }
            fromDeprecated[entry.worker, default: [:]][entry.attribute] = merge(
                fromDeprecated[entry.worker]?[entry.attribute], entry.value, kind: entry.kind,
                key: "worker.\(entry.worker).\(entry.attribute)", diagnostics: &diagnostics)
        }
        for (worker, attributes) in fromDeprecated {
            for (attribute, value) in attributes { result.workers[worker]?[attribute] = value }
        }
        return (result, diagnostics)
    }

    static func merge(
        _ previous: PropertyValue?, _ new: PropertyValue, kind: PropertySpec.Kind, key: String, diagnostics: inout [ConfigDiagnostic]
    ) -> PropertyValue {
        guard let previous else { return new }
        if kind == .list {
            return PropertyValue(previous.value.isEmpty ? new.value : "\(previous.value),\(new.value)", at: previous.location)
        }
        diagnostics.append(
            .warning("duplicate '\(key)' (first at \(previous.location)): '\(new.value)' overrides '\(previous.value)'", at: new.location))
        return new
    }

    /// "worker.list" for "workers.list", "wroker.was1.port" → "worker.was1.port"; nil when the
    /// key's first part is not within two edits of "worker".
    static func nearMissOfWorker(_ key: String) -> String? {
        guard let dot = key.firstIndex(of: "."), dot != key.startIndex else { return nil }
        let head = String(key[..<dot])
        guard head != "worker", Suggestions.nearest(to: head.lowercased(), in: ["worker"], maxDistance: 2) != nil else { return nil }
        // Only what reads as a worker property: `list`/`maintain`, or `<name>.<known property>`.
        // Debian's and mod_jk's templates define variables such as workers.tomcat_home.
        let rest = key[key.index(after: dot)...]
        if let inner = rest.lastIndex(of: ".") {
            guard PropertySpec.attributes[String(rest[rest.index(after: inner)...])] != nil else { return nil }
        } else {
            guard PropertySpec.globals[String(rest)] != nil else { return nil }
        }
        return "worker" + key[dot...]
    }

    /// `[A-Za-z0-9_.-]`, at most 60 bytes (`JK_MAX_NAME_LEN`).
    public static func isValidWorkerName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 60 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }

    /// mod_jk's reference depth limit.
    public static let maxReferenceDepth = 20

    /// Copies every attribute a worker inherits through `reference=worker.tmpl` chains (set
    /// values win; templates need not be listed anywhere).
    public mutating func resolveReferences() -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        var resolved: [String: [String: PropertyValue]] = [:]
        for name in order {
            var chain: [String] = [name]
            var attributes = workers[name] ?? [:]
            var current = name
            while let reference = workers[current]?["reference"] {
                var target = reference.value
                if target.hasPrefix("worker.") { target.removeFirst("worker.".count) }
                if target.hasSuffix(".") { target.removeLast() }
                if chain.contains(target) {
                    diagnostics.append(
                        .error("reference cycle: \(chain.map { "worker.\($0)" }.joined(separator: " → ")) → worker.\(target)", at: reference.location))
                    break
                }
                guard chain.count <= Self.maxReferenceDepth else {
                    diagnostics.append(.error("references nested deeper than \(Self.maxReferenceDepth) levels from worker.\(name)", at: reference.location))
                    break
                }
                guard let template = workers[target] else {
                    diagnostics.append(.error("worker.\(current).reference names 'worker.\(target)', which has no properties", at: reference.location))
                    break
                }
                for (key, value) in template where key != "reference" && attributes[key] == nil {
                    attributes[key] = value
                }
                chain.append(target)
                current = target
            }
            resolved[name] = attributes
        }
        workers = resolved
        return diagnostics
    }
}
