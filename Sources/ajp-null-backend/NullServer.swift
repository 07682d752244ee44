import AJP13
import Glibc

/// The server, outside main.swift: top-level code there is main-actor isolated, and these
/// functions run on one thread per connection.
struct NullServer: Sendable {
    let response: [UInt8]
    let cpong: [UInt8] = [0x41, 0x42, 0x00, 0x01, 0x09]
    let getBodyChunk: [UInt8] = [0x41, 0x42, 0x00, 0x03, 0x06, 0x1F, 0xFA]

    init(size: Int) {
        response = Self.encodeResponse(size: size)
    }

/// The whole response, encoded once: SEND_HEADERS, SEND_BODY_CHUNK(s), END_RESPONSE(reuse).
    static func encodeResponse(size: Int) -> [UInt8] {
    func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes + [0]
    }
    func packet(_ payload: [UInt8]) -> [UInt8] { [0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload }
    var headers: [UInt8] = [0x04, 0x00, 0xC8] + string("200") + [0x00, 0x02]
    headers += [0xA0, 0x01] + string("text/plain")
    headers += [0xA0, 0x03] + string(String(size))
    var bytes = packet(headers)
    var remaining = size
    while remaining > 0 {
        let count = min(remaining, 8184)
        bytes += packet([0x03, UInt8(count >> 8), UInt8(count & 0xFF)] + [UInt8](repeating: UInt8(ascii: "x"), count: count) + [0])
        remaining -= count
    }
    return bytes + packet([0x05, 0x01])
}

static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let sent = send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }
}

/// Reads exactly `count` bytes into `buffer`; false on EOF or error.
static func readExactly(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    var filled = 0
    while filled < count {
        let got = recv(fd, buffer + filled, count - filled, 0)
        if got <= 0 { return false }
        filled += got
    }
    return true
}

/// The request's Content-Length (-1 when absent: unknown length, read until the empty packet).
static func contentLength(_ payload: UnsafeRawBufferPointer) -> Int {
    var reader = AJPReader(payload, offset: 2)
    for _ in 0..<5 { guard reader.readString() != nil else { return 0 } }  // protocol … server_name
    guard reader.readInt() != nil, reader.readBool() != nil, let count = reader.readInt() else { return 0 }
    for _ in 0..<Int(count) {
        var isLength = false
        if reader.remaining >= 2, reader.bytes[reader.offset] == 0xA0 {
            isLength = reader.readInt() == 0xA008
        } else if reader.readString() == nil {
            return 0
        }
        guard let value = reader.readString() else { return 0 }
        if isLength, let range = value { return Int(payload.string(range)) ?? 0 }
    }
    return -1
}

func serve(_ fd: Int32) {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536 + 4, alignment: 8)
    defer {
        buffer.deallocate()
        close(fd)
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    func readPacket() -> Int? {
        guard Self.readExactly(fd, buffer, 4) else { return nil }
        let header = buffer.assumingMemoryBound(to: UInt8.self)
        let length = Int(header[2]) << 8 | Int(header[3])
        guard length <= 65536, Self.readExactly(fd, buffer + 4, length) else { return nil }
        return length
    }
    while let length = readPacket() {
        let first = buffer.load(fromByteOffset: 4, as: UInt8.self)
        if length == 1 && first == 0x0A {
            guard Self.writeAll(fd, cpong) else { return }
            continue
        }
        guard first == 0x02 else { continue }
        let declared = Self.contentLength(UnsafeRawBufferPointer(start: buffer + 4, count: length))
        if declared != 0 {
            var remaining = declared
            if declared > 0 {
                // The first body packet follows the request without being asked for.
                guard let bodyLength = readPacket() else { return }
                remaining -= max(0, bodyLength - 2)
            }
            while declared < 0 || remaining > 0 {
                guard Self.writeAll(fd, getBodyChunk), let bodyLength = readPacket() else { return }
                if bodyLength == 0 { break }
                remaining -= max(0, bodyLength - 2)
            }
        }
        guard Self.writeAll(fd, response) else { return }
    }
}

    func run(port: UInt16) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 128) == 0 else {
            print("ajp-null-backend: cannot listen on 127.0.0.1:\(port)")
            exit(1)
        }
        print("ajp-null-backend: listening on 127.0.0.1:\(port), \(response.count)-byte responses")
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            var thread = pthread_t()
            let context = Unmanaged.passRetained(Job(server: self, descriptor: client)).toOpaque()
            pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                let job = Unmanaged<Job>.fromOpaque(raw).takeRetainedValue()
                job.server.serve(job.descriptor)
                return nil
            }, context)
            pthread_detach(thread)
        }
    }
}

/// What a connection thread gets.
final class Job: @unchecked Sendable {
    let server: NullServer
    let descriptor: Int32
    init(server: NullServer, descriptor: Int32) {
        self.server = server
        self.descriptor = descriptor
    }
}
