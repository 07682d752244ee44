// libFuzzer target: builds a FORWARD_REQUEST from fuzz bytes, encodes it, decodes it again and
// checks that nothing changed; also feeds the raw bytes to the decoder. Must never trap.

/// Splits the input into NUL-separated fields.
func fields(_ bytes: UnsafeRawBufferPointer) -> [String] {
    bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestRoundTrip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = ForwardRequest.decode(bytes)
    var parts = fields(bytes)
    guard parts.count >= 4 else { return 0 }
    func next() -> String { parts.isEmpty ? "" : parts.removeFirst() }
    let methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "MKCOL", "X-CUSTOM"]
    let selector = bytes.first.map(Int.init) ?? 0
    var request = ForwardRequest(
        method: methods[selector % methods.count], uri: "/" + next(), remoteAddress: next(), remoteHost: selector & 1 == 0 ? nil : next(),
        serverName: next(), serverPort: UInt16(truncatingIfNeeded: size), isSSL: selector & 2 != 0)
    let names = ["Host", "Cookie", "X-Thing", "content-length", "User-Agent", "accept-language", "Via"]
    var index = 0
    while parts.count >= 2 && index < 40 {
        request.headers.append(.init(names[index % names.count] + (index >= names.count ? "-\(index)" : ""), next()))
        index += 1
    }
    request.attributes.secret = selector & 4 != 0 ? next() : nil
    request.attributes.queryString = selector & 8 != 0 ? next() : nil
    request.attributes.route = selector & 16 != 0 ? next() : nil
    request.attributes.sslKeySize = selector & 32 != 0 ? selector : nil
    request.attributes.requestAttributes = parts.isEmpty ? [] : [.init("AJP_REMOTE_PORT", next())]
    var writer = AJPPacketWriter(limit: 65536)
    guard request.encode(into: &writer) else {
        precondition(writer.needed > writer.limit, "encode failed without overflowing")
        return 0
    }
    let decoded = writer.bytes.withUnsafeBytes { ForwardRequest.decode(UnsafeRawBufferPointer(rebasing: $0[4...])) }
    guard case .success(var back) = decoded else {
        preconditionFailure("encoded request does not decode: \(decoded)")
    }
    // Coded header names come back lowercase, as Tomcat sees them.
    for (position, header) in request.headers.enumerated() where AJPRequestHeader.code(forName: header.name) != nil {
        if position < back.headers.count { back.headers[position].name = header.name }
    }
    precondition(back == request, "round trip changed the request")
    return 0
}
