/// Every Jk directive httpd accepts from this module: one row each, with mod_jk's arity and
/// contexts. The C shim's `jk_cmds` must list exactly these (a unit test reads mod_jk.c).
///
/// httpd matches directive names case-insensitively (`JKMount`, `jkmount`); the checker uses
/// `canonicalName` so `swiftjk check` sees what the module sees.
public enum DirectiveTable {
    public enum Arity: Sendable, Equatable {
        case one, oneOrTwo, rawArguments, flag, iterate
    }

    public struct Row: Sendable, Equatable {
        public var name: String
        public var arity: Arity
        /// Also allowed inside `<Location>`/`<Directory>` (ACCESS_CONF).
        public var inSections: Bool
    }

    public static let rows: [Row] = {
        var rows: [Row] = []
        func add(_ name: String, _ arity: Arity = .one, inSections: Bool = false) {
            rows.append(Row(name: name, arity: arity, inSections: inSections))
        }
        add("JkWorkersFile")
        add("JkWorkerProperty", .rawArguments)
        add("JkShmFile")
        add("JkShmSize")
        add("JkMount", .oneOrTwo, inSections: true)
        add("JkUnMount", .oneOrTwo, inSections: true)
        for name in [
            "JkMountFile", "JkMountFileReload", "JkMountCopy", "JkAutoAlias", "JkWatchdogInterval", "JkLogFile", "JkLogLevel",
            "JkLogStampFormat", "JkRequestLogFormat",
        ] {
            add(name)
        }
        add("JkExtractSSL", .flag)
        for indicator in Indicators.directives { add(indicator.name) }
        add("JkOptions", .iterate)
        add("JkEnvVar", .oneOrTwo)
        add("JkStripSession", .oneOrTwo)
        return rows
    }()

    static let byLowercasedName: [String: String] = Dictionary(uniqueKeysWithValues: rows.map { ($0.name.lowercased(), $0.name) })

    /// The table's spelling of a directive name given in any case, or nil for an unknown name.
    public static func canonicalName(_ name: some StringProtocol) -> String? { byLowercasedName[name.lowercased()] }
}
