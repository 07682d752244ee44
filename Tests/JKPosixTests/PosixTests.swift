import Glibc
import JKCore
import JKPosix
import Testing

/// The syscall edge against the real kernel: sockets on loopback, the shared region across
/// processes, the log file, stamps.
struct PosixTests {
    /// A TCP socket bound to a free port on 127.0.0.1, and the port.
    static func loopbackSocket() -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func connectRefusedIsRecognised() throws {
        // A port nobody listens on: bind one, note it, close it.
        let (fd, port) = Self.loopbackSocket()
        close(fd)
        let target = try SocketAddress.resolve(host: "127.0.0.1", port: port)
        #expect(target.description == "127.0.0.1:\(port)")
        #expect(throws: TransportError.refused) {
            try BlockingSocket.connect(to: target, options: .init(connectTimeout: Milliseconds(500)))
        }
    }

    @Test func unresolvableHost() {
        #expect(throws: (any Error).self) { try SocketAddress.resolve(host: "no-such-host.invalid", port: 8009) }
    }

    @Test func sharedRegionIsSharedAcrossFork() throws {
        let region = try SharedRegion.create(path: "/tmp/swiftjk-test-shm.\(getpid())", payloadSize: 64)
        defer { region.close(unlink: true) }
        let counter = region.payload.bindMemory(to: Int64.self, capacity: 1)
        counter.pointee = 0
        var children: [pid_t] = []
        for _ in 0..<4 {
            let pid = fork()
            if pid == 0 {
                for _ in 0..<10_000 { region.withLock { counter.pointee += 1 } }
                _exit(0)
            }
            children.append(pid)
        }
        for pid in children {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        #expect(counter.pointee == 40_000)
    }

    @Test func sharedRegionSurvivesAHolderDying() throws {
        let region = try SharedRegion.create(path: "/tmp/swiftjk-test-shm2.\(getpid())", payloadSize: 64)
        defer { region.close(unlink: true) }
        let pid = fork()
        if pid == 0 {
            region.withLock { _exit(0) }  // dies holding the lock
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // A robust mutex: the next locker gets it (EOWNERDEAD handled), instead of hanging.
        let value = region.withLock { 42 }
        #expect(value == 42)
    }

    @Test func logLinesFromManyProcessesNeverTear() throws {
        let path = "/tmp/swiftjk-test-log.\(getpid())"
        defer { Files.unlink(path) }
        let log = try LogFile(path: path)
        let line = String(repeating: "x", count: 300) + "\n"
        var children: [pid_t] = []
        for _ in 0..<4 {
            let pid = fork()
            if pid == 0 {
                for _ in 0..<500 { log.write(line) }
                _exit(0)
            }
            children.append(pid)
        }
        for pid in children {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        log.close()
        let text = try Files.readText(path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2000)
        #expect(lines.allSatisfy { $0.count == 300 })
    }

    @Test(arguments: [
        ("[%Y]", "[1970]"), ("%H:%M:%S.%Q ", "00:00:01.234 "), ("%S.%q", "01.234567"), ("plain", "plain"),
    ])
    func stampFormats(format: String, expected: String) {
        setenv("TZ", "UTC", 1)
        tzset()
        var line: [UInt8] = []
        LogStampFormat(format).append(to: &line, seconds: 1, microseconds: 234_567)
        #expect(String(decoding: line, as: UTF8.self) == expected)
    }

    @Test func monotonicClockMoves() {
        let before = SystemClock.now()
        SystemClock.sleep(Milliseconds(20))
        #expect(SystemClock.now() - before >= Milliseconds(15))
    }
}
