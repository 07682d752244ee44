import AJP13
import Foundation
import Glibc

/// A scripted AJP13 container on 127.0.0.1 for tests: each accepted connection runs `script`
/// on its own thread. Scripts can answer correctly, or produce the faults a real Tomcat cannot:
/// garbage, half packets, silence, wrong magic, HTTP instead of AJP.
public final class AJPTestServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let script: @Sendable (Connection) -> Void
    private let lock = NSLock()
    private var stopped = false
    private var listenerClosed = false
    private var open: [Connection] = []
    public private(set) var accepted = 0

    public init(script: @escaping @Sendable (Connection) -> Void) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError.setup("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestServerError.setup("bind/listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                // Only this thread closes the listener, so its number cannot be reused by
                // another server while this thread may still call accept on it.
                Glibc.close(listener)
                return
            }
            lock.lock()
            if stopped {
                lock.unlock()
                Glibc.close(client)
                Glibc.close(listener)
                return
            }
            accepted += 1
            let connection = Connection(descriptor: client)
            open.append(connection)
            lock.unlock()
            let script = self.script
            Thread {
                script(connection)
                connection.close()
            }.start()
        }
    }

    /// Stops accepting and closes every connection.
    public func stop() {
        lock.lock()
        stopped = true
        let connections = open
        open = []
        let wasStopped = listenerClosed
        listenerClosed = true
        lock.unlock()
        if !wasStopped { shutdown(listener, Int32(SHUT_RDWR)) }
        // Only connections still open: a closed descriptor number may already belong to
        // someone else.
        for connection in connections { connection.shutdownIfOpen() }
    }

    deinit { stop() }

    public enum TestServerError: Error { case setup(String) }

    /// One accepted connection, with helpers for scripts.
    public final class Connection: @unchecked Sendable {
        let descriptor: Int32
        private var closed = false
        private let lock = NSLock()

        init(descriptor: Int32) { self.descriptor = descriptor }

        /// Reads one web-server packet (12 34 len payload); nil on EOF or garbage.
        public func readPacket() -> [UInt8]? {
            guard let header = readExactly(4), header[0] == 0x12, header[1] == 0x34 else { return nil }
            let length = Int(header[2]) << 8 | Int(header[3])
            if length == 0 { return [] }
            return readExactly(length)
        }

        public func readExactly(_ count: Int) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + filled, count - filled, 0) }
                if got <= 0 { return nil }
                filled += got
            }
            return bytes
        }

        public func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Sends a container packet ("AB", length, payload).
        public func sendPacket(_ payload: [UInt8]) {
            send([0x41, 0x42, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload)
        }

        func shutdownIfOpen() {
            lock.lock()
            defer { lock.unlock() }
            if !closed { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }

        public func close() {
            lock.lock()
            defer { lock.unlock() }
            guard !closed else { return }
            closed = true
            Glibc.close(descriptor)
        }

        /// Reads the FORWARD_REQUEST and any body packets Tomcat would expect before answering.
        public func readRequest() -> [UInt8]? {
            guard let request = readPacket(), request.first == 0x02 else { return nil }
            return request
        }
    }
}

/// Container packets for scripts.
public enum ContainerPackets {
    public static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes + [0]
    }

    public static func sendHeaders(status: Int, reason: String? = nil, headers: [(UInt16?, String, String)] = []) -> [UInt8] {
        var payload: [UInt8] = [0x04, UInt8(status >> 8), UInt8(status & 0xFF)]
        payload += reason.map(string) ?? [0xFF, 0xFF]
        payload += [UInt8(headers.count >> 8), UInt8(headers.count & 0xFF)]
        for (code, name, value) in headers {
            if let code { payload += [UInt8(code >> 8), UInt8(code & 0xFF)] } else { payload += string(name) }
            payload += string(value)
        }
        return payload
    }

    public static func bodyChunk(_ data: [UInt8]) -> [UInt8] {
        [0x03, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data + [0]
    }

    public static func endResponse(reuse: Bool) -> [UInt8] { [0x05, reuse ? 1 : 0] }
    public static func getBodyChunk(_ size: Int) -> [UInt8] { [0x06, UInt8(size >> 8), UInt8(size & 0xFF)] }
    public static let cpong: [UInt8] = [0x09]
}
