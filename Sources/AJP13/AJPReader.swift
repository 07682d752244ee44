/// A bounds-checked big-endian cursor over one packet payload.
///
/// Every read returns nil instead of trapping when the payload is too short or malformed: backend
/// bytes must never crash an httpd child. Strings are returned as ranges into the payload whose
/// terminating NUL has been verified, so `base + range.lowerBound` is a valid C string without a
/// copy.
public struct AJPReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func readByte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readInt() -> UInt16? {
        guard bytes.count - offset >= 2 else { return nil }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// A boolean byte: AJP allows only 0 and 1.
    public mutating func readBool() -> Bool? {
        switch readByte() {
        case 0: false
        case 1: true
        default: nil
        }
    }

    /// An AJP string: 2-byte length (0xFFFF = absent), the bytes, a NUL.
    /// Returns `.some(nil)` for an absent string and nil for a malformed one.
    public mutating func readString() -> Range<Int>?? {
        let start = offset
        guard let length = readInt() else { return nil }
        if length == 0xFFFF { return .some(nil) }
        let count = Int(length)
        guard bytes.count - offset >= count + 1, bytes[offset + count] == 0 else {
            offset = start
            return nil
        }
        defer { offset += count + 1 }
        return .some(offset..<(offset + count))
    }

    /// Advances past `count` bytes, or returns false when fewer remain.
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, bytes.count - offset >= count else { return false }
        offset += count
        return true
    }
}

extension UnsafeRawBufferPointer {
    /// Decodes a range as UTF-8 text (invalid sequences repaired), for logs and tests.
    public func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self[range]), as: UTF8.self)
    }
}
