import Glibc
import JKCore

/// `JkLogStampFormat`: strftime plus mod_jk's `%Q` (milliseconds) or `%q` (microseconds).
///
/// The format is split once at the fraction directive; each line then costs one `localtime_r`
/// and one or two `strftime` calls into a stack buffer.
public struct LogStampFormat: Sendable {
    public enum Fraction: Sendable { case milliseconds, microseconds }

    private let before: [CChar]
    private let after: [CChar]
    private let fraction: Fraction?

    /// mod_jk's default where gettimeofday exists.
    public static let modJKDefault = "[%a %b %d %H:%M:%S.%Q %Y] "

    public init(_ format: String) {
        var before = Array(format.utf8)
        var after: [UInt8] = []
        var fraction: Fraction? = nil
        var index = 0
        while index + 1 < before.count {
            if before[index] == UInt8(ascii: "%") {
                let next = before[index + 1]
                if next == UInt8(ascii: "Q") || next == UInt8(ascii: "q") {
                    fraction = next == UInt8(ascii: "Q") ? .milliseconds : .microseconds
                    after = Array(before[(index + 2)...])
                    before = Array(before[..<index])
                    break
                }
                index += 2  // skip "%x", including "%%"
            } else {
                index += 1
            }
        }
        self.before = before.map { CChar(bitPattern: $0) } + [0]
        self.after = after.map { CChar(bitPattern: $0) } + [0]
        self.fraction = fraction
    }

    /// Appends the stamp for the given wall-clock time.
    public func append(to line: inout [UInt8], seconds: Int, microseconds: Int) {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        Self.appendStrftime(before, &parts, to: &line)
        switch fraction {
        case .milliseconds?: Self.appendPadded(microseconds / 1000, width: 3, to: &line)
        case .microseconds?: Self.appendPadded(microseconds, width: 6, to: &line)
        case nil: return
        }
        Self.appendStrftime(after, &parts, to: &line)
    }

    private static func appendStrftime(_ format: [CChar], _ parts: inout tm, to line: inout [UInt8]) {
        guard format.count > 1 else { return }
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            let count = format.withUnsafeBufferPointer { strftime(buffer.baseAddress, 256, $0.baseAddress, &parts) }
            for index in 0..<count { line.append(UInt8(bitPattern: buffer[index])) }
        }
    }

    static func appendPadded(_ value: Int, width: Int, to line: inout [UInt8]) {
        var digits = 0
        var scratch = value
        repeat {
            digits += 1
            scratch /= 10
        } while scratch > 0
        for _ in digits..<max(width, digits) { line.append(UInt8(ascii: "0")) }
        appendDecimal(value, to: &line)
    }
}

