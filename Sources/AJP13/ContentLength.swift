/// A response's Content-Length header value as the module trusts it: decimal digits only, at
/// most 18 of them (so it cannot overflow), greater than 0 (or 0 too, with `allowingZero`).
/// Anything else (a sign, spaces, a list, an empty value) is nil: the body's end is then known
/// only from END_RESPONSE.
public enum ContentLength {
    public static func parse(_ bytes: UnsafeRawBufferPointer, allowingZero: Bool = false) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value > 0 || allowingZero ? value : nil
    }
}
