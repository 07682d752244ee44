import JKCore

/// One workers.properties attribute of one worker type: its name, what a valid value looks like,
/// and the settings field it fills. The field's default is the one its settings struct declares.
///
/// The rows of `PropertyRows` are the single list of what SwiftJK reads: the name index that
/// rejects unknown names (`PropertySpec.attributes`), the readers that fill `AJPWorkerSettings`,
/// `LoadBalancerSettings` and `StatusWorkerSettings`, and the "used or warned" tests all derive
/// from them, so a property cannot be accepted and then ignored (docs/architecture.md §9.1).
public struct PropertyRow<Settings>: Sendable {
    public let name: String
    /// Repeated lines concatenate with `,` instead of the last one winning.
    public let isList: Bool
    /// Reads the text into the settings; returns a problem with the value (nil when it was taken).
    let apply: @Sendable (inout Settings, PropertyValue, _ worker: String) -> ConfigDiagnostic?

    init(
        _ name: String, isList: Bool = false,
        apply: @escaping @Sendable (inout Settings, PropertyValue, _ worker: String) -> ConfigDiagnostic?
    ) {
        self.name = name
        self.isList = isList
        self.apply = apply
    }

    /// A value parsed by `parse`; on nil, the error says "worker.W.name='text': `expected`".
    static func parsed<Value>(
        _ name: String, isList: Bool = false, expected: String, _ parse: @escaping @Sendable (String) -> Value?,
        set: @escaping @Sendable (inout Settings, Value) -> Void
    ) -> PropertyRow {
        PropertyRow(name, isList: isList) { settings, value, worker in
            guard let parsed = parse(value.value) else {
                return .error("worker.\(worker).\(name)='\(value.value)': \(expected)", at: value.location)
            }
            set(&settings, parsed)
            return nil
        }
    }
}

// MARK: The value types mod_jk's properties use

extension PropertyRow {
    static func integerRange(_ minimum: Int, _ maximum: Int) -> String {
        maximum == Int.max ? "expected a number ≥ \(minimum)" : "expected a number from \(minimum) to \(maximum)"
    }

    static func integerParser(_ minimum: Int, _ maximum: Int) -> @Sendable (String) -> Int? {
        { text in ValueParsing.integer(text).flatMap { $0 >= minimum && $0 <= maximum ? $0 : nil } }
    }

    static func integer(
        _ name: String, _ field: WritableKeyPath<Settings, Int> & Sendable, min minimum: Int = 0, max maximum: Int = .max
    ) -> PropertyRow {
        parsed(name, expected: integerRange(minimum, maximum), integerParser(minimum, maximum)) { $0[keyPath: field] = $1 }
    }

    static func integer(
        _ name: String, _ field: WritableKeyPath<Settings, Int?> & Sendable, min minimum: Int = 0, max maximum: Int = .max
    ) -> PropertyRow {
        parsed(name, expected: integerRange(minimum, maximum), integerParser(minimum, maximum)) { $0[keyPath: field] = $1 }
    }

    /// A number that mod_jk raises to `minimum` when it is smaller (`retries=0` is taken as 1):
    /// raised here too, with a warning, so a file that worked with mod_jk still starts.
    static func raisedInteger(_ name: String, _ field: WritableKeyPath<Settings, Int> & Sendable, min minimum: Int) -> PropertyRow {
        PropertyRow(name) { settings, value, worker in
            guard let number = ValueParsing.integer(value.value) else {
                return .error("worker.\(worker).\(name)='\(value.value)': expected a number", at: value.location)
            }
            settings[keyPath: field] = max(minimum, number)
            guard number < minimum else { return nil }
            return .warning(
                "worker.\(worker).\(name)=\(number) is below \(minimum) and used as \(minimum), as mod_jk does", at: value.location)
        }
    }

    /// A time written in milliseconds.
    static func milliseconds(_ name: String, _ field: WritableKeyPath<Settings, Milliseconds> & Sendable, min minimum: Int = 0) -> PropertyRow {
        parsed(name, expected: integerRange(minimum, .max), integerParser(minimum, .max)) { $0[keyPath: field] = Milliseconds($1) }
    }

    static func milliseconds(_ name: String, _ field: WritableKeyPath<Settings, Milliseconds?> & Sendable) -> PropertyRow {
        parsed(name, expected: integerRange(0, .max), integerParser(0, .max)) { $0[keyPath: field] = Milliseconds($1) }
    }

    /// A time written in seconds, kept in milliseconds.
    static func seconds(_ name: String, _ field: WritableKeyPath<Settings, Milliseconds> & Sendable, min minimum: Int = 0) -> PropertyRow {
        parsed(name, expected: integerRange(minimum, .max), integerParser(minimum, .max)) { $0[keyPath: field] = .seconds($1) }
    }

    static func seconds(_ name: String, _ field: WritableKeyPath<Settings, Milliseconds?> & Sendable) -> PropertyRow {
        parsed(name, expected: integerRange(0, .max), integerParser(0, .max)) { $0[keyPath: field] = .seconds($1) }
    }

    static var booleanExpected: String { "expected a boolean (true/false, on/off, 1/0, yes/no)" }

    static func boolean(_ name: String, _ field: WritableKeyPath<Settings, Bool> & Sendable) -> PropertyRow {
        parsed(name, expected: booleanExpected, ValueParsing.boolean) { $0[keyPath: field] = $1 }
    }

    static func boolean(_ name: String, _ field: WritableKeyPath<Settings, Bool?> & Sendable) -> PropertyRow {
        parsed(name, expected: booleanExpected, ValueParsing.boolean) { $0[keyPath: field] = $1 }
    }

    static func string(_ name: String, _ field: WritableKeyPath<Settings, String> & Sendable) -> PropertyRow {
        PropertyRow(name) { settings, value, _ in
            settings[keyPath: field] = value.value
            return nil
        }
    }

    static func string(_ name: String, _ field: WritableKeyPath<Settings, String?> & Sendable) -> PropertyRow {
        PropertyRow(name) { settings, value, _ in
            settings[keyPath: field] = value.value
            return nil
        }
    }

    /// Text that lives in a 64-byte shared-memory field (63 bytes of text), as in mod_jk.
    static func sharedText(_ name: String, _ field: WritableKeyPath<Settings, String> & Sendable) -> PropertyRow {
        PropertyRow(name) { settings, value, worker in
            settings[keyPath: field] = value.value
            return sharedTextProblem(name, value, worker)
        }
    }

    static func sharedText(_ name: String, _ field: WritableKeyPath<Settings, String?> & Sendable) -> PropertyRow {
        PropertyRow(name) { settings, value, worker in
            settings[keyPath: field] = value.value
            return sharedTextProblem(name, value, worker)
        }
    }

    static func sharedTextProblem(_ name: String, _ value: PropertyValue, _ worker: String) -> ConfigDiagnostic? {
        let count = value.value.utf8.count
        guard count > 63 else { return nil }
        return .error("worker.\(worker).\(name) is \(count) bytes long; at most 63 fit (as in mod_jk's shared memory)", at: value.location)
    }

    /// A comma/space separated list of names; repeated lines add to it.
    static func list(_ name: String, _ field: WritableKeyPath<Settings, [String]> & Sendable) -> PropertyRow {
        PropertyRow(name, isList: true) { settings, value, _ in
            settings[keyPath: field] = ValueParsing.list(value.value)
            return nil
        }
    }
}
