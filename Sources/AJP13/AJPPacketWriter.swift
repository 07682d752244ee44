/// Builds web server → container packets in one reusable buffer.
///
/// Layout of every packet: `0x12 0x34`, a 2-byte big-endian payload length, the payload.
/// Integers are 2 bytes big-endian; strings are a 2-byte length (excluding the NUL), the bytes and
/// a `0x00`; an absent string is the length `0xFFFF` alone (httpd `ajp_msg_append_string_ex`).
///
/// The writer never throws in the middle of a request: when a field would exceed `limit` (the
/// worker's `max_packet_size`, header included) it stops writing, remembers which part overflowed
/// first, and keeps counting how many bytes the whole packet would need, so that the caller can log
/// both sizes and the culprit.
///
/// The buffer is allocated once, `limit` bytes, and written through its pointer after `reserve`
/// has checked the bounds: an array's uniqueness check and bounds checks on every field were
/// about 1,000 instructions a request (callgrind). Copies of a writer share the buffer; a writer
/// belongs to one connection (or one test), which writes one packet at a time.
public struct AJPPacketWriter {
    private final class Buffer {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        }
        deinit { base.deallocate() }
    }

    private let buffer: Buffer
    /// Length of the packet written so far (header included).
    public private(set) var count = 0
    public let limit: Int
    /// Bytes the current packet needs, including the part that did not fit.
    public private(set) var needed = 0
    /// The part being written; recorded in `overflow` when it does not fit.
    public var part: RequestPart = .prefix
    /// The first part that did not fit, if any.
    public private(set) var overflow: RequestPart?

    public init(limit: Int) {
        self.limit = max(limit, 4)
        self.buffer = Buffer(capacity: self.limit)
    }

    /// A copy of the packet (tests and diagnostics; the connection uses `withPacket`).
    public var bytes: [UInt8] { withPacket { Array($0) } }

    /// Runs `body` with the packet's bytes, valid only during the call.
    public func withPacket<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(buffer) { try body(UnsafeRawBufferPointer(start: buffer.base, count: count)) }
    }

    /// Copies `length` bytes at the end of the packet; the caller has reserved them (`needed`
    /// never exceeds `limit` when `reserve` says yes, and `count` ≤ `needed`).
    @inline(__always)
    private mutating func append(_ length: Int, _ write: (UnsafeMutableRawPointer) -> Void) {
        let at = count
        guard length > 0, at + length <= buffer.capacity else { return }
        write(buffer.base + at)
        count = at + length
    }

    /// Starts a new packet.
    public mutating func begin() {
        count = 0
        append(4) { base in
            base.storeBytes(of: AJPMagic.toContainer.0, as: UInt8.self)
            (base + 1).storeBytes(of: AJPMagic.toContainer.1, as: UInt8.self)
            (base + 2).storeBytes(of: 0, as: UInt16.self)
        }
        needed = 4
        overflow = nil
        part = .prefix
    }

    /// Patches the payload length. Returns false when the packet overflowed.
    @discardableResult
    public mutating func finish() -> Bool {
        guard overflow == nil, count >= 4 else { return false }
        let payload = count - 4
        (buffer.base + 2).storeBytes(of: UInt16(truncatingIfNeeded: payload).bigEndian, as: UInt16.self)
        return true
    }

    @inline(__always)
    mutating func reserve(_ count: Int) -> Bool {
        needed += count
        if overflow != nil { return false }
        if needed > limit {
            overflow = part
            return false
        }
        return true
    }

    public mutating func putByte(_ value: UInt8) {
        if reserve(1) { append(1) { $0.storeBytes(of: value, as: UInt8.self) } }
    }

    public mutating func putInt(_ value: UInt16) {
        if reserve(2) { append(2) { $0.storeBytes(of: value.bigEndian, as: UInt16.self) } }
    }

    public mutating func putBool(_ value: Bool) { putByte(value ? 1 : 0) }

    /// An AJP string from raw bytes. Strings longer than 0xFFFE bytes cannot be encoded; they
    /// always overflow because no packet is that large.
    public mutating func putString(_ value: UnsafeRawBufferPointer) {
        let length = value.count
        guard length < 0xFFFF else {
            _ = reserve(length + 3)
            return
        }
        if reserve(length + 3) {
            append(length + 3) { base in
                base.storeBytes(of: UInt16(truncatingIfNeeded: length).bigEndian, as: UInt16.self)
                if let source = value.baseAddress, length > 0 { (base + 2).copyMemory(from: source, byteCount: length) }
                (base + 2 + length).storeBytes(of: 0, as: UInt8.self)
            }
        }
    }

    public mutating func putString(_ value: String) {
        // Native strings are contiguous: no copy and no reference count taken.
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { putString(UnsafeRawBufferPointer($0)) }
        if done == nil {
            var copy = value
            copy.withUTF8 { putString(UnsafeRawBufferPointer($0)) }
        }
    }

    /// A literal as an AJP string.
    public mutating func putString(static value: StaticString) {
        putString(UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// An integer as a decimal AJP string (`AJP_REMOTE_PORT`), without making a `String`.
    public mutating func putDecimalString(_ value: Int) {
        var magnitude = value.magnitude
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: 19 digits and a sign fit
        withUnsafeMutableBytes(of: &scratch) { raw in
            var index = raw.count
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0 && index > 1
            if value < 0 {
                index -= 1
                raw[index] = UInt8(ascii: "-")
            }
            putString(UnsafeRawBufferPointer(rebasing: raw[index...]))
        }
    }

    public mutating func putString(_ value: String?) {
        if let value { putString(value) } else { putAbsentString() }
    }

    public mutating func putAbsentString() { putInt(0xFFFF) }

    /// Raw bytes with no length prefix (body data).
    public mutating func putBytes(_ value: UnsafeRawBufferPointer) {
        guard let source = value.baseAddress, value.count > 0 else { return }
        if reserve(value.count) { append(value.count) { $0.copyMemory(from: source, byteCount: value.count) } }
    }
}

/// Which part of a request was being encoded, for "request too large" diagnostics.
public enum RequestPart: Equatable, Sendable {
    case prefix
    case method
    case protocolVersion
    case uri
    case remoteAddress
    case remoteHost
    case serverName
    case header(index: Int)
    case attribute(AJPAttribute)
    case requestAttribute(index: Int)
    case body
}

/// The fixed small packets and body packets.
extension AJPPacketWriter {
    /// CPING: `12 34 00 01 0A`.
    public mutating func cping() {
        begin()
        putByte(PacketType.cping.rawValue)
        finish()
    }

    /// A request body packet: `12 34`, length, 2-byte chunk length, data. An empty `data` gives
    /// the empty packet `12 34 00 00` that ends a body.
    public mutating func bodyPacket(_ data: UnsafeRawBufferPointer) {
        begin()
        part = .body
        if data.count > 0 {
            putInt(UInt16(truncatingIfNeeded: data.count))
            putBytes(data)
        }
        finish()
    }
}
