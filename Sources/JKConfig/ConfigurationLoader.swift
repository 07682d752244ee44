/// The whole configuration pipeline, pure: directives → workers file → mount files → assembled
/// configuration → the classic-trap checks. File reading is injected. Used by the module at
/// check_config and by `swiftjk check`, so both report exactly the same diagnostics.
public enum ConfigurationLoader {
    public typealias ReadFile = (String) -> Result<String, FileReadError>

    public struct FileReadError: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// `serverRoot` resolves relative paths, as `ap_server_root_relative`.
    public static func load(
        servers: [RawServer], serverRoot: String, environment: [String: String], readFile: ReadFile
    ) -> (JKConfiguration?, [ConfigDiagnostic]) {
        func resolve(_ path: String) -> String {
            if path.hasPrefix("/") { return path }
            return serverRoot.hasSuffix("/") ? serverRoot + path : serverRoot + "/" + path
        }
        var diagnostics: [ConfigDiagnostic] = []
        let parsed = JKConfiguration.parseDirectives(servers)
        diagnostics += parsed.diagnostics
        var workersText: String? = nil
        var workersFile = "JkWorkerProperty"
        if let file = parsed.global.workersFile {
            workersFile = resolve(file)
            switch readFile(workersFile) {
            case .success(let text): workersText = text
            case .failure(let error): diagnostics.append(.error("JkWorkersFile: \(error.message)", at: parsed.global.workersFileLocation))
            }
        } else if parsed.global.workerProperties.isEmpty {
            diagnostics.append(.warning("no JkWorkersFile and no JkWorkerProperty: no workers are defined, nothing will be forwarded", at: nil))
        }
        let (workers, workerProblems) = WorkersConfigurationBuilder.build(
            text: workersText, file: workersFile, extraLines: parsed.global.workerProperties, environment: environment,
            predefined: ["ServerRoot": serverRoot])
        diagnostics += workerProblems
        var mountFiles: [String: String] = [:]
        for (index, server) in parsed.directives.enumerated() {
            guard let file = server.mountFile else { continue }
            switch readFile(resolve(file)) {
            case .success(let text): mountFiles[file] = text
            case .failure(let error):
                diagnostics.append(.error("JkMountFile: \(error.message)", at: server.mountFileLocation ?? servers[index].location))
            }
        }
        let (configuration, assembleProblems) = JKConfiguration.assemble(
            servers: servers, directives: parsed.directives, global: parsed.global, workers: workers, mountFiles: mountFiles,
            resolvePath: resolve)
        diagnostics += assembleProblems
        diagnostics += ConfigurationLint.check(configuration, directives: parsed.directives)
        return (diagnostics.hasErrors ? nil : configuration, diagnostics)
    }
}
