import CSwiftJKABI
import JKConfig
import JKCore
import JKPosix

// The C entry points (prototypes in swiftjk_abi.h; `make abi-check` compares them with the
// generated header). Each one is a thin adapter: unwrap pointers, call Swift, wrap the result.
// Lifecycle (docs/architecture.md §4.1): config_create at check_config (every pass, parent), then
// config_open_resources at post_config (real pass only), child_create at child_init (after fork),
// translate and handle per request, the release functions from pool cleanups.

@c public func sjk_config_create(_ startup: UnsafePointer<sjk_startup>?) -> UnsafeMutableRawPointer? {
    guard let startup else { return nil }
    let input = StartupInput(startup)
    let (configuration, diagnostics) = Configuration.load(
        input, environment: Files.environment(), readFile: { path throws(FileError) in try Files.readText(path) })
    let console = input.isFirstPass || input.isConfigTest
    for diagnostic in diagnostics {
        switch diagnostic.severity {
        case .error:
            StartupLog.write(startup, level: SJK_LOG_ERROR, console: true, "SwiftJK: \(diagnostic.description)")
        case .warning where console:
            StartupLog.write(startup, level: SJK_LOG_WARN, console: true, "SwiftJK: \(diagnostic.description)")
        case .warning, .info:
            continue
        }
    }
    guard let configuration else {
        let count = diagnostics.errors.count
        StartupLog.write(startup, level: SJK_LOG_ERROR, console: true, "SwiftJK: \(count) configuration error\(count == 1 ? "" : "s"); httpd will not start")
        return nil
    }
    if console {
        for warning in configuration.preflightWarnings() { StartupLog.write(startup, level: SJK_LOG_WARN, console: true, "SwiftJK: \(warning)") }
    }
    if input.isFirstPass && !input.isConfigTest {
        let problems = configuration.preflightProblems()
        for problem in problems { StartupLog.write(startup, level: SJK_LOG_ERROR, console: true, "SwiftJK: \(problem)") }
        guard problems.isEmpty else { return nil }
    }
    return Unmanaged.passRetained(configuration).toOpaque()
}

@c public func sjk_config_open_resources(_ config: UnsafeMutableRawPointer?, _ startup: UnsafePointer<sjk_startup>?) -> Int32 {
    guard let config, let startup else { return -1 }
    let configuration = Unmanaged<Configuration>.fromOpaque(config).takeUnretainedValue()
    let problems = configuration.openResources { command in
        guard let host = startup.pointee.host, let open = host.pointee.open_piped_log else { return nil }
        let fd = command.withCString { open(host.pointee.ctx, $0) }
        return fd >= 0 ? fd : nil
    }
    for problem in problems { StartupLog.write(startup, level: SJK_LOG_ERROR, console: true, "SwiftJK: \(problem)") }
    guard problems.isEmpty else { return -1 }
    if let main = configuration.jk.servers.first, main.logFile == nil {
        // As mod_jk: httpd's error log says where the jk log went.
        StartupLog.write(startup, level: SJK_LOG_WARN, console: false,
                         "SwiftJK: no JkLogFile defined in httpd.conf; the jk log is \(configuration.startup.resolve(configuration.logFile(of: main)))")
    }
    StartupReport.write(configuration)
    return 0
}

@c public func sjk_config_release(_ config: UnsafeMutableRawPointer?, _ serverStopping: Int32) {
    guard let config else { return }
    let configuration = Unmanaged<Configuration>.fromOpaque(config).takeRetainedValue()
    configuration.close(carryChanges: serverStopping == 0)
}

@c public func sjk_child_create(_ config: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let config else { return nil }
    let configuration = Unmanaged<Configuration>.fromOpaque(config).takeUnretainedValue()
    let runtime = Runtime(configuration: configuration)
    runtime.startWatchdog()
    return Unmanaged.passRetained(runtime).toOpaque()
}

@c public func sjk_child_release(_ runtime: UnsafeMutableRawPointer?) {
    guard let runtime else { return }
    let child = Unmanaged<Runtime>.fromOpaque(runtime).takeRetainedValue()
    child.shutdown()
}

@c public func sjk_translate(
    _ view: UnsafePointer<sjk_translate_view>?, _ runtime: UnsafeMutableRawPointer?, _ workerIndex: UnsafeMutablePointer<Int32>?,
    _ ruleIndex: UnsafeMutablePointer<Int32>?
) -> Int32 {
    guard let view, let runtime else { return Int32(SJK_DECLINED) }
    let child = Unmanaged<Runtime>.fromOpaque(runtime).takeUnretainedValue()
    return Translate.map(view, runtime: child, workerIndex: workerIndex, ruleIndex: ruleIndex)
}

@c public func sjk_forwards_directories(_ runtime: UnsafeMutableRawPointer?, _ serverIndex: Int32) -> Int32 {
    guard let runtime else { return 0 }
    let servers = Unmanaged<Runtime>.fromOpaque(runtime).takeUnretainedValue().configuration.servers
    let index = Int(serverIndex)
    guard index >= 0, index < servers.count else { return 0 }
    return servers[index].options.contains(.forwardDirectories) ? 1 : 0
}

@c public func sjk_handle(_ view: UnsafePointer<sjk_request_view>?, _ runtime: UnsafeMutableRawPointer?) -> Int32 {
    guard let view, let runtime else { return 500 }
    let child = Unmanaged<Runtime>.fromOpaque(runtime).takeUnretainedValue()
    return RequestHandler.handle(view, runtime: child)
}

/// Startup messages through httpd's log (console during the first pass and `apache2 -t`).
/// httpd escapes non-ASCII bytes there (`\xe2\x80\x94`), so the typographic characters of
/// the diagnostics become their ASCII spellings first.
enum StartupLog {
    static func write(_ startup: UnsafePointer<sjk_startup>, level: Int, console: Bool, _ message: String) {
        guard let host = startup.pointee.host, let log = host.pointee.log else { return }
        ascii(message).withCString { log(host.pointee.ctx, Int32(level), console ? 1 : 0, $0) }
    }

    static func ascii(_ message: String) -> String {
        guard message.utf8.contains(where: { $0 >= 0x80 }) else { return message }
        var out = ""
        for character in message.unicodeScalars {
            switch character {
            case "\u{2014}", "\u{2013}": out += "-"
            case "\u{2192}": out += "->"
            case "\u{2026}": out += "..."
            case "\u{2265}": out += ">="
            case "\u{2264}": out += "<="
            case "\u{2190}": out += "<-"
            case "\u{2018}", "\u{2019}": out += "'"
            case "\u{201C}", "\u{201D}": out += "\""
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
