/// One issued form nonce in the shared-memory file: 128 random bits and when it was issued.
public struct NonceSlot: Sendable, Equatable {
    public var high: UInt64 = 0
    public var low: UInt64 = 0
    /// Milliseconds on the shared monotonic clock; 0 = free.
    public var issued: Int64 = 0
    public init() {}
}

/// The status page's one-time form nonces (CSRF protection that mod_jk lacks).
///
/// Every HTML page that offers a change carries a fresh nonce in its forms; a POST must bring
/// one that was issued within `lifetime` and not used yet, and using it burns it, so a replayed
/// or forged POST is refused. The slots live in shared memory, so a form served by one child
/// can be posted to another; when all are taken the oldest is reused.
public struct NonceRing {
    public static let capacity = 64
    /// How long a page's forms stay valid.
    public static let lifetime: Int64 = 30 * 60 * 1000

    public var slots: UnsafeMutableBufferPointer<NonceSlot>

    public init(slots: UnsafeMutableBufferPointer<NonceSlot>) { self.slots = slots }

    /// Stores `random` as a new nonce and returns its text (32 hex digits).
    public mutating func issue(random: (UInt64, UInt64), now: Int64) -> String {
        guard !slots.isEmpty else { return "" }
        var oldest = 0
        for index in slots.indices where slots[index].issued < slots[oldest].issued { oldest = index }
        var slot = NonceSlot()
        slot.high = random.0
        slot.low = random.1
        slot.issued = max(now, 1)
        slots[oldest] = slot
        return Self.text(slot.high) + Self.text(slot.low)
    }

    /// True when `text` is a nonce issued within the lifetime and not used yet; it is used up.
    public mutating func consume(_ text: some StringProtocol, now: Int64) -> Bool {
        let digits = Array(text.utf8)
        guard digits.count == 32, let high = Self.value(digits[0..<16]), let low = Self.value(digits[16..<32]) else {
            return false
        }
        for index in slots.indices {
            let slot = slots[index]
            guard slot.issued > 0, slot.high == high, slot.low == low else { continue }
            slots[index] = NonceSlot()
            return now - slot.issued <= Self.lifetime
        }
        return false
    }

    static func text(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func value(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var result: UInt64 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            default: return nil
            }
            result = result << 4 | UInt64(nibble)
        }
        return result
    }
}
