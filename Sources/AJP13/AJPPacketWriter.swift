/// Builds web server → container packets in one reusable byte array.
///
/// Layout of every packet: `0x12 0x34`, a 2-byte big-endian payload length, the payload.
/// Integers are 2 bytes big-endian; strings are a 2-byte length (excluding the NUL), the bytes and
/// a `0x00`; an absent string is the length `0xFFFF` alone (httpd `ajp_msg_append_string_ex`).
///
/// The writer never throws in the middle of a request: when a field would exceed `limit` (the
/// worker's `max_packet_size`, header included) it stops writing, remembers which part overflowed
/// first, and keeps counting how many bytes the whole packet would need, so that the caller can log
/// both sizes and the culprit. Appending to an array whose capacity was reserved once does not
/// allocate, so a steady-state request costs no heap allocation here.
public struct AJPPacketWriter {
    public private(set) var bytes: [UInt8]
    public let limit: Int
    /// Bytes the current packet needs, including the part that did not fit.
    public private(set) var needed = 0
    /// The part being written; recorded in `overflow` when it does not fit.
    public var part: RequestPart = .prefix
    /// The first part that did not fit, if any.
    public private(set) var overflow: RequestPart?

    public init(limit: Int) {
        self.limit = limit
        self.bytes = []
        self.bytes.reserveCapacity(limit)
    }

    /// Starts a new packet.
    public mutating func begin() {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(AJPMagic.toContainer.0)
        bytes.append(AJPMagic.toContainer.1)
        bytes.append(0)
        bytes.append(0)
        needed = 4
        overflow = nil
        part = .prefix
    }

    /// Patches the payload length. Returns false when the packet overflowed.
    @discardableResult
    public mutating func finish() -> Bool {
        guard overflow == nil else { return false }
        let payload = bytes.count - 4
        bytes[2] = UInt8(truncatingIfNeeded: payload >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: payload)
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
        if reserve(1) { bytes.append(value) }
    }

    public mutating func putInt(_ value: UInt16) {
        if reserve(2) {
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
            bytes.append(UInt8(truncatingIfNeeded: value))
        }
    }

    public mutating func putBool(_ value: Bool) { putByte(value ? 1 : 0) }

    /// An AJP string from raw bytes. Strings longer than 0xFFFE bytes cannot be encoded; they
    /// always overflow because no packet is that large.
    public mutating func putString(_ value: UnsafeRawBufferPointer) {
        let count = value.count
        guard count < 0xFFFF else {
            _ = reserve(count + 3)
            return
        }
        if reserve(count + 3) {
            bytes.append(UInt8(truncatingIfNeeded: count >> 8))
            bytes.append(UInt8(truncatingIfNeeded: count))
            bytes.append(contentsOf: value)
            bytes.append(0)
        }
    }

    public mutating func putString(_ value: String) {
        var value = value
        value.withUTF8 { putString(UnsafeRawBufferPointer($0)) }
    }

    public mutating func putString(_ value: String?) {
        if let value { putString(value) } else { putAbsentString() }
    }

    public mutating func putAbsentString() { putInt(0xFFFF) }

    /// Raw bytes with no length prefix (body data).
    public mutating func putBytes(_ value: UnsafeRawBufferPointer) {
        if reserve(value.count) { bytes.append(contentsOf: value) }
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
