/// Reads an httpd configuration the way `swiftjk check` needs it: every `Jk*` directive with its
/// file:line, grouped by server (main, then each `<VirtualHost>`), following `Include` /
/// `IncludeOptional`. File access is injected, so this stays pure and testable.
///
/// It understands httpd's word syntax (quotes, backslash continuation lines, `#` comments) and
/// the sections that matter here: `<VirtualHost>`, `<Location>`/`<LocationMatch>`/`<Directory>`
/// (for `JkMount` inside them) and conditional sections (`<IfModule>`, `<IfDefine>`, …), whose
/// contents are taken as active — a checker should look at everything written.
public struct HttpdConfigReader {
    public struct Result: Sendable {
        public var servers: [RawServer]
        public var serverRoot: String?
        public var loadModules: [(name: String, path: String, location: SourceLocation)]
        public var diagnostics: [ConfigDiagnostic]
    }

    /// Reads a file's text, or nil when it cannot be read.
    public typealias ReadFile = (String) -> String?
    /// Expands a path with `*`/`?` (for `Include conf.d/*.conf`) into existing files, sorted.
    public typealias Glob = (String) -> [String]

    let readFile: ReadFile
    let glob: Glob
    var serverRoot: String?
    var servers: [RawServer] = [RawServer(name: "main", isVirtual: false, directives: [])]
    var current = 0
    var sections: [(name: String, argument: String)] = []
    var diagnostics: [ConfigDiagnostic] = []
    var loadModules: [(name: String, path: String, location: SourceLocation)] = []
    var depth = 0
    /// `Define NAME value`, for `${NAME}` in later lines (as httpd substitutes them).
    var defines: [String: String] = [:]
    var environment: [String: String] = [:]

    /// `environment`: for `${NAME}` that no `Define` gave (httpd falls back to the environment).
    public static func read(
        path: String, serverRoot: String? = nil, environment: [String: String] = [:], readFile: @escaping ReadFile, glob: @escaping Glob
    ) -> Result {
        var reader = HttpdConfigReader(readFile: readFile, glob: glob, serverRoot: serverRoot)
        reader.environment = environment
        reader.include(path, optional: false, at: nil)
        return Result(servers: reader.servers, serverRoot: reader.serverRoot, loadModules: reader.loadModules, diagnostics: reader.diagnostics)
    }

    mutating func include(_ path: String, optional: Bool, at location: SourceLocation?) {
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else {
            diagnostics.append(.error("Include nested too deeply (loop?) at '\(path)'", at: location))
            return
        }
        let resolved = resolve(path)
        let files = resolved.contains("*") || resolved.contains("?") ? glob(resolved) : [resolved]
        if files.isEmpty && !optional && !(resolved.contains("*") || resolved.contains("?")) {
            diagnostics.append(.error("Include '\(path)': no such file", at: location))
        }
        for file in files {
            guard let text = readFile(file) else {
                if !optional { diagnostics.append(.error("cannot read '\(file)'", at: location)) }
                continue
            }
            parse(text, file: file)
        }
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let serverRoot else { return path }
        return serverRoot.hasSuffix("/") ? serverRoot + path : serverRoot + "/" + path
    }

    mutating func parse(_ text: String, file: String) {
        var number = 0
        var pending = ""
        var pendingStart = 0
        for rawLine in TextLines.split(text) {
            number += 1
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            if pending.isEmpty { pendingStart = number }
            if line.hasSuffix("\\") {
                pending += String(line.dropLast()) + " "
                continue
            }
            let logical = pending + line
            pending = ""
            handle(logical, at: SourceLocation(file: file, line: pendingStart))
        }
    }

    mutating func handle(_ line: String, at location: SourceLocation) {
        var trimmed = line.trimmingSpaces
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return }
        if trimmed.contains("${") { trimmed = substitute(trimmed) }
        if trimmed.hasPrefix("</") {
            let name = trimmed.dropFirst(2).prefix { $0 != ">" }.lowercased()
            closeSection(name, at: location)
            return
        }
        if trimmed.hasPrefix("<") {
            var inner = trimmed.dropFirst()
            if inner.hasSuffix(">") { inner = inner.dropLast() }
            let words = Self.words(String(inner))
            guard let name = words.first else { return }
            openSection(name, arguments: Array(words.dropFirst()), at: location)
            return
        }
        let words = Self.words(trimmed)
        guard let name = words.first else { return }
        let arguments = Array(words.dropFirst())
        switch name.lowercased() {
        case "serverroot":
            if let root = arguments.first { serverRoot = root }
        case "define":
            if let defined = arguments.first { defines[defined] = arguments.count > 1 ? arguments[1] : "" }
        case "undefine":
            if let defined = arguments.first { defines[defined] = nil }
        case "servername":
            // A virtual host is named by its ServerName (httpd's server_hostname, and its port
            // only when the ServerName gives one), as the module names it.
            if current > 0, let value = arguments.first, !value.isEmpty {
                servers[current].port = 0
                var host = Substring(value)
                if let colon = host.firstIndex(of: ":"), host[colon...].hasPrefix("://") { host = host[host.index(colon, offsetBy: 3)...] }
                if let colon = host.lastIndex(of: ":"), let port = Int(host[host.index(after: colon)...]), !host.hasSuffix("]") {
                    servers[current].port = port
                    host = host[..<colon]
                }
                servers[current].name = String(host)
            }
        case "include", "includeoptional":
            for pattern in arguments { include(pattern, optional: name.lowercased() == "includeoptional", at: location) }
        case "loadmodule":
            if arguments.count >= 2 { loadModules.append((arguments[0], resolve(arguments[1]), location)) }
        default:
            // Directive names are case-insensitive in httpd: JKMount is JkMount.
            guard name.lowercased().hasPrefix("jk") else { return }
            let name = DirectiveTable.canonicalName(name) ?? name
            let section = sections.last { ["location", "locationmatch", "directory", "directorymatch", "files", "filesmatch"].contains($0.name) }
            servers[current].directives.append(
                RawDirective(name: name, arguments: arguments, location: location, section: section?.argument))
        }
    }

    /// `${NAME}` replaced by its Define, else the environment; unknown names stay as written
    /// (httpd warns about them).
    func substitute(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            guard after.first == "{", let end = after.firstIndex(of: "}") else {
                out.append("$")
                rest = after
                continue
            }
            let name = String(after[after.index(after: after.startIndex)..<end])
            out += defines[name] ?? environment[name] ?? "${\(name)}"
            rest = after[after.index(after: end)...]
        }
        return out + rest
    }

    mutating func openSection(_ name: String, arguments: [String], at location: SourceLocation) {
        let lower = name.lowercased()
        sections.append((lower, arguments.first ?? ""))
        if lower == "virtualhost" {
            let address = arguments.first ?? "*"
            var host = address
            var port = 0
            if let colon = address.lastIndex(of: ":"), let parsed = Int(address[address.index(after: colon)...]) {
                host = String(address[..<colon])
                port = parsed
            }
            servers.append(RawServer(name: host, port: port, isVirtual: true, location: location, directives: []))
            current = servers.count - 1
        }
    }

    mutating func closeSection(_ name: String, at location: SourceLocation) {
        guard let last = sections.popLast() else {
            diagnostics.append(.warning("'</\(name)>' closes nothing", at: location))
            return
        }
        if last.name == "virtualhost" { current = 0 }
    }

    /// httpd's `ap_getword_conf`: whitespace-separated words, "double" or 'single' quoted words
    /// with backslash escapes.
    public static func words(_ line: String) -> [String] {
        var words: [String] = []
        var iterator = Array(line)[...]
        while true {
            while let first = iterator.first, first == " " || first == "\t" { iterator = iterator.dropFirst() }
            guard let first = iterator.first else { break }
            var word = ""
            if first == "\"" || first == "'" {
                iterator = iterator.dropFirst()
                while let character = iterator.first, character != first {
                    if character == "\\", iterator.count > 1 {
                        iterator = iterator.dropFirst()
                    }
                    word.append(iterator.first ?? character)
                    iterator = iterator.dropFirst()
                }
                iterator = iterator.dropFirst()
            } else {
                while let character = iterator.first, character != " " && character != "\t" {
                    word.append(character)
                    iterator = iterator.dropFirst()
                }
            }
            words.append(word)
        }
        return words
    }
}
