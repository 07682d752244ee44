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


/// Local civil time as the status worker prints it.
public enum CivilTime {
    /// `("20261205075533", "+0000")` for the given Unix time, in the local time zone.
    public static func local(_ seconds: Int) -> (datetime: String, zone: String) {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        var text: [UInt8] = []
        for (value, width) in [(Int(parts.tm_year) + 1900, 4), (Int(parts.tm_mon) + 1, 2), (Int(parts.tm_mday), 2), (Int(parts.tm_hour), 2), (Int(parts.tm_min), 2), (Int(parts.tm_sec), 2)] {
            LogStampFormat.appendPadded(value, width: width, to: &text)
        }
        let offset = Int(parts.tm_gmtoff) / 60
        var zone: [UInt8] = [offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")]
        LogStampFormat.appendPadded(abs(offset) / 60, width: 2, to: &zone)
        LogStampFormat.appendPadded(abs(offset) % 60, width: 2, to: &zone)
        return (String(decoding: text, as: UTF8.self), String(decoding: zone, as: UTF8.self))
    }
}
