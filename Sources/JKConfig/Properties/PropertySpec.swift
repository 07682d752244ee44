/// The worker property names mod_jk knows (`jk_util.c`'s supported, unique, list and deprecated
/// tables), derived from `PropertyRows`. Unknown names are errors; deprecated names map to their replacement
/// with a warning; list properties concatenate when repeated; unique ones warn and the last wins.
public enum PropertySpec {
    public enum Kind: Sendable, Equatable {
        case unique
        /// Repeated lines are concatenated with `,`.
        case list
        /// Accepted with a warning and renamed.
        case deprecated(replacement: String, value: String?)
        /// Accepted with a warning and ignored (JNI-era and removed features).
        case obsolete
    }

    /// Which worker types a property applies to.
    public struct Types: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let ajp = Types(rawValue: 1)
        public static let lb = Types(rawValue: 2)
        public static let status = Types(rawValue: 4)
        /// ajp13 worker properties also apply to an lb member (it is an ajp13 worker).
        public static let member = Types(rawValue: 8)
        public static let all: Types = [.ajp, .lb, .status, .member]
    }

    public struct Entry: Sendable {
        public var kind: Kind
        public var types: Types
    }

    /// Worker attribute name (after `worker.<name>.`) → spec: the rows of `PropertyRows`, plus the
    /// deprecated and obsolete names mod_jk still accepts.
    public static let attributes: [String: Entry] = {
        var table: [String: Entry] = [:]
        func add(_ name: String, isList: Bool, _ types: Types) {
            let previous = table[name]?.types ?? []
            table[name] = Entry(kind: isList ? .list : .unique, types: previous.union(types))
        }
        for row in PropertyRows.structural { add(row.name, isList: row.isList, .all) }
        for row in PropertyRows.ajp { add(row.name, isList: row.isList, [.ajp, .member]) }
        for row in PropertyRows.loadBalancer { add(row.name, isList: row.isList, .lb) }
        for row in PropertyRows.status { add(row.name, isList: row.isList, .status) }
        table["cachesize"] = Entry(kind: .deprecated(replacement: "connection_pool_size", value: nil), types: [.ajp, .member])
        table["cache_timeout"] = Entry(kind: .deprecated(replacement: "connection_pool_timeout", value: nil), types: [.ajp, .member])
        table["balanced_workers"] = Entry(kind: .deprecated(replacement: "balance_workers", value: nil), types: .lb)
        table["jvm_route"] = Entry(kind: .deprecated(replacement: "route", value: nil), types: [.ajp, .member])
        table["disabled"] = Entry(kind: .deprecated(replacement: "activation", value: "D"), types: [.ajp, .member])
        table["stopped"] = Entry(kind: .deprecated(replacement: "activation", value: "S"), types: [.ajp, .member])
        for name in [
            "local_worker", "local_worker_only", "sysprops", "stderr", "stdout", "mx", "ms", "class_path", "bridge",
            "jvm_lib", "ld_path", "cmd_line", "native_lib", "secret_key", "secretkey", "context", "catalina_home",
            "catalina_base", "jk_home", "recycle_timeout",
        ] {
            table[name] = Entry(kind: .obsolete, types: .all)
        }
        return table
    }()

    /// Global properties (`worker.list`, `worker.maintain`).
    public static let globals: [String: Kind] = ["list": .list, "maintain": .unique]

    /// Whether `worker.NAME.ATTRIBUTE` names an obsolete property (read, warned about, ignored).
    public static func isObsolete(_ key: String) -> Bool {
        guard let dot = key.lastIndex(of: ".") else { return false }
        return attributes[String(key[key.index(after: dot)...])]?.kind == .obsolete
    }

    /// The nearest known attribute, for "did you mean …?".
    public static func suggestion(for name: String) -> String? {
        Suggestions.nearest(to: name, in: attributes.keys.filter { attributes[$0]?.kind == .unique || attributes[$0]?.kind == .list }.sorted())
    }
}
