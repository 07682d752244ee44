/// Appends a non-negative or negative integer in decimal without allocating.
public func appendDecimal<T: BinaryInteger>(_ value: T, to line: inout [UInt8]) {
    if value < 0 {
        line.append(UInt8(ascii: "-"))
        appendDecimal(UInt64(clamping: value.magnitude), to: &line)
        return
    }
    var magnitude = UInt64(clamping: value)
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
        repeat {
            buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            count += 1
        } while magnitude > 0
        line.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
    }
}
