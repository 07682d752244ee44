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
    /// Values given under a deprecated name (worker → that name → raw value). mod_jk keeps them
    /// under their own keys, copies them through `reference=` like any other, and reads one only
    /// where the current name is absent: see `applyDeprecatedNames()`.
    public var deprecated: [String: [String: PropertyValue]] = [:]
    /// Worker names in order of first appearance.
    public var order: [String] = []

    public init() {}

    /// Builds the map from expanded lines (file lines first, then `JkWorkerProperty` lines).
    public static func collect(_ lines: [PropertyLine]) -> (WorkerProperties, [ConfigDiagnostic]) {
        var result = WorkerProperties()
        var diagnostics: [ConfigDiagnostic] = []
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
            let value = line.value
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
            case .deprecated(let replacement, _):
                diagnostics.append(
                    .warning("'\(line.key)' is deprecated; use 'worker.\(worker).\(replacement)'", at: line.location))
                if result.workers[worker] == nil {
                    result.workers[worker] = [:]
                    result.order.append(worker)
                }
                result.deprecated[worker, default: [:]][attribute] = merge(
                    result.deprecated[worker]?[attribute], PropertyValue(value, at: line.location),
                    kind: PropertySpec.attributes[replacement]?.kind ?? .unique, key: line.key, diagnostics: &diagnostics)
                continue
            case .obsolete:
                let why = line.key.hasSuffix(".secretkey") || line.key.hasSuffix(".secret_key")
                    ? ": it is mod_jk's ajp14 login key, and SwiftJK speaks ajp13 only. The AJP secret Tomcat checks is worker.\(worker).secret"
                    : attribute == "recycle_timeout"
                    ? ", as in mod_jk (which reads it nowhere): idle connections are closed by worker.\(worker).connection_pool_timeout"
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
        var resolvedDeprecated: [String: [String: PropertyValue]] = [:]
        for name in order {
            var chain: [String] = [name]
            var attributes = workers[name] ?? [:]
            var old = deprecated[name] ?? [:]
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
                for (key, value) in deprecated[target] ?? [:] where old[key] == nil { old[key] = value }
                chain.append(target)
                current = target
            }
            resolved[name] = attributes
            if !old.isEmpty { resolvedDeprecated[name] = old }
        }
        workers = resolved
        deprecated = resolvedDeprecated
        return diagnostics
    }

    /// The order mod_jk's getters read deprecated names in (`jk_util.c`): `stopped` before
    /// `disabled`, both only when `activation` is absent.
    static let deprecatedReadingOrder = ["cachesize", "cache_timeout", "balanced_workers", "jvm_route", "stopped", "disabled"]

    /// Gives each deprecated value to its current name where that name is not set, own or
    /// inherited, as mod_jk reads them; call after `resolveReferences()`.
    public mutating func applyDeprecatedNames() -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        for worker in order {
            guard let old = deprecated[worker] else { continue }
            var setByOldName: [String: String] = [:]
            for name in Self.deprecatedReadingOrder {
                guard let given = old[name], case .deprecated(let replacement, let mapped)? = PropertySpec.attributes[name]?.kind
                else { continue }
                var value = given.value
                if let mapped {
                    // disabled=true → activation=D, stopped=true → activation=S; false means unset.
                    guard ValueParsing.boolean(value) == true else { continue }
                    value = mapped
                }
                if let earlier = setByOldName[replacement] {
                    diagnostics.append(
                        .warning("'worker.\(worker).\(name)' is ignored: 'worker.\(worker).\(earlier)' is set too, and mod_jk reads \(earlier) first", at: given.location))
                } else if let current = workers[worker]?[replacement] {
                    diagnostics.append(
                        .warning("'worker.\(worker).\(name)' is ignored: 'worker.\(worker).\(replacement)' is set (at \(current.location)), as in mod_jk", at: given.location))
                } else {
                    workers[worker]?[replacement] = PropertyValue(value, at: given.location)
                    setByOldName[replacement] = name
                }
            }
        }
        return diagnostics
    }
}
