import JKConfig
import JKCore
import JKPosix

/// The jk log: `[stamp] [pid:tid] [level] message`, the line prefix of mod_jk 1.2.48, so existing
/// greps and tools keep working. One `write(2)` per line on an O_APPEND descriptor opened by the
/// parent: lines never tear or interleave across children and threads.
///
/// Messages are autoclosures: a disabled level costs one comparison.
final class JKLog: @unchecked Sendable {
    let file: LogFile?
    let level: LogLevel
    let stamp: LogStampFormat

    init(file: LogFile?, level: LogLevel, stampFormat: String) {
        self.file = file
        self.level = level
        self.stamp = LogStampFormat(stampFormat)
    }

    /// A log that writes nothing (before resources are open, in tests).
    static let discarding = JKLog(file: nil, level: .emerg, stampFormat: "")

    @inline(__always)
    func enabled(_ wanted: LogLevel) -> Bool { file != nil && wanted >= level }

    func trace(_ message: @autoclosure () -> String) { log(.trace, message()) }
    func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    func warn(_ message: @autoclosure () -> String) { log(.warn, message()) }
    func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    func log(_ wanted: LogLevel, _ message: @autoclosure () -> String) {
        guard enabled(wanted) else { return }
        write(label: wanted.name, message())
    }

    /// A `JkRequestLogFormat` line: written whatever the level, with the stamp only (no
    /// `[pid:tid] [level]`), exactly as mod_jk writes its request log lines.
    func request(_ message: String) {
        write(label: nil, message)
    }

    private func write(label: String?, _ message: String) {
        guard let file else { return }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        let now = SystemClock.wallClock()
        stamp.append(to: &line, seconds: now.seconds, microseconds: now.microseconds)
        if let label {
            line.append(UInt8(ascii: "["))
            appendDecimal(ProcessIdentity.pid, to: &line)
            line.append(UInt8(ascii: ":"))
            appendDecimal(ProcessIdentity.threadID, to: &line)
            line.append(contentsOf: "] [".utf8)
            line.append(contentsOf: label.utf8)
            line.append(contentsOf: "] ".utf8)
        }
        var text = message
        text.withUTF8 { bytes in
            // A message never spans lines: control characters become spaces.
            for byte in bytes { line.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte) }
        }
        line.append(0x0A)
        line.withUnsafeBytes { file.write($0) }
    }
}
