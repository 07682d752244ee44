// libFuzzer target: container → web server bytes through framing, message parsing, header
// iteration and the exchange state machine — what SwiftJK does with whatever a backend sends.
// Must never trap. Built by `make fuzz` together with Sources/AJP13.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplyParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var offset = 0
    var exchange = AJPExchange(maxPacketSize: 8192)
    while size - offset >= 4 {
        let header = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 4)])
        guard case .success(let length) = ContainerMessage.payloadLength(header: header, maxPacketSize: 8192) else { return 0 }
        guard size - offset - 4 >= length else { return 0 }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + length)])
        offset += 4 + length
        switch ContainerMessage.parse(payload) {
        case .success(let message):
            if case .sendHeaders(let headers) = message {
                var total = 0
                headers.forEachHeader(in: payload) { name, value in
                    if case .named(let range) = name { total &+= payload[range].count }
                    total &+= payload[value].count
                    precondition(payload[value.upperBound] == 0, "header value not NUL-terminated")
                }
                if let reason = headers.reason { precondition(payload[reason.upperBound] == 0) }
            }
            switch exchange.received(message) {
            case .writeBody(let range): precondition(range.upperBound <= payload.count)
            case .fail: return 0
            default: break
            }
        case .failure:
            return 0
        }
    }
    return 0
}
