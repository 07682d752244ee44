import CSwiftJKABI
import JKConfig

/// The `sjk_startup` facts as Swift values (copied: the C memory lives only during the call).
struct StartupInput: Sendable {
    var serverRoot: String
    var runtimeDirectory: String
    var threadsPerChild: Int
    var maxDaemons: Int
    var isConfigTest: Bool
    var isFirstPass: Bool
    var parentPID: Int
    var mpmName: String
    var servers: [RawServer]
    /// Which JK_* note groups some directive of httpd's configuration names, and where.
    var requestNotes: RequestNotes = .all
    var requestNoteMentions: [(RequestNotes, RequestNotes.ConfigurationLine)] = []

    init(_ startup: UnsafePointer<sjk_startup>) {
        let s = startup.pointee
        serverRoot = s.server_root.map { String(cString: $0) } ?? "/"
        runtimeDirectory = s.runtime_dir.map { String(cString: $0) } ?? serverRoot
        threadsPerChild = Int(max(1, s.threads_per_child))
        maxDaemons = Int(max(1, s.max_daemons))
        isConfigTest = s.is_config_test != 0
        isFirstPass = s.is_first_pass != 0
        parentPID = Int(s.parent_pid)
        mpmName = s.mpm_name.map { String(cString: $0) } ?? "unknown"
        servers = []
        if let list = s.servers {
            for index in 0..<Int(max(0, s.n_servers)) {
                servers.append(Self.server(list[index], isMain: index == 0))
            }
        }
        (requestNotes, requestNoteMentions) = RequestNotes.read(by: Self.configurationLines(s))
    }

    /// Every directive of httpd's configuration tree (any module's), as text.
    static func configurationLines(_ s: sjk_startup) -> [RequestNotes.ConfigurationLine] {
        guard let lines = s.config_lines else { return [] }
        return (0..<Int(max(0, s.n_config_lines))).map { index in
            let line = lines[index]
            return RequestNotes.ConfigurationLine(
                directive: line.directive.map { String(cString: $0) } ?? "",
                arguments: line.args.map { String(cString: $0) } ?? "",
                location: line.file.map { SourceLocation(file: String(cString: $0), line: Int(line.line)) })
        }
    }

    /// For tests: facts without C.
    init(serverRoot: String, threadsPerChild: Int = 25, servers: [RawServer]) {
        self.serverRoot = serverRoot
        self.runtimeDirectory = serverRoot + "/logs"
        self.threadsPerChild = threadsPerChild
        self.maxDaemons = 1
        self.isConfigTest = false
        self.isFirstPass = false
        self.parentPID = 0
        self.mpmName = "test"
        self.servers = servers
    }

    static func server(_ raw: sjk_server, isMain: Bool) -> RawServer {
        var directives: [RawDirective] = []
        if let list = raw.directives {
            for index in 0..<Int(max(0, raw.n_directives)) {
                let entry = list[index]
                var arguments: [String] = []
                if let args = entry.args {
                    for argument in 0..<Int(max(0, entry.nargs)) {
                        arguments.append(args[argument].map { String(cString: $0) } ?? "")
                    }
                }
                directives.append(
                    RawDirective(
                        name: entry.name.map { String(cString: $0) } ?? "",
                        arguments: arguments,
                        location: SourceLocation(file: entry.file.map { String(cString: $0) } ?? "?", line: Int(entry.line)),
                        section: entry.location.map { String(cString: $0) }))
            }
        }
        let name = raw.server_name.map { String(cString: $0) } ?? (isMain ? "main" : "?")
        let location = raw.defn_file.map { SourceLocation(file: String(cString: $0), line: Int(raw.defn_line)) }
        return RawServer(name: name, port: Int(raw.port), isVirtual: raw.is_virtual != 0, location: location, directives: directives)
    }

    /// `ap_server_root_relative`: absolute paths stay, others hang off ServerRoot.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return serverRoot.hasSuffix("/") ? serverRoot + path : serverRoot + "/" + path
    }
}
