import Glibc
import JKCore

/// One blocking TCP connection to a backend, used by one httpd thread at a time.
///
/// Timeouts use SO_RCVTIMEO/SO_SNDTIMEO, set only when the wanted value changes, so a read that
/// needs a timeout costs no extra `poll`. Writes use MSG_NOSIGNAL: a backend that went away must
/// give EPIPE, not kill the httpd child with SIGPIPE.
public final class BlockingSocket {
    public private(set) var descriptor: Int32
    private var receiveTimeout: Milliseconds = .zero
    private var sendTimeout: Milliseconds = .zero
    /// SO_RCVLOWAT: the bytes a blocking receive (and `poll`) waits for; 1 = any.
    private var lowWater = 1

    public struct Options: Sendable {
        public var connectTimeout: Milliseconds
        public var keepAlive: Bool
        /// SO_SNDBUF / SO_RCVBUF in bytes; 0 leaves the kernel default.
        public var bufferSize: Int
        /// `worker.X.source`: the local address to connect from (port 0: any).
        public var source: SocketAddress?
        public init(connectTimeout: Milliseconds, keepAlive: Bool = false, bufferSize: Int = 0, source: SocketAddress? = nil) {
            self.connectTimeout = connectTimeout
            self.keepAlive = keepAlive
            self.bufferSize = bufferSize
            self.source = source
        }
    }

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close() }

    /// Connects with a timeout (0 = the kernel's own, which can be minutes), TCP_NODELAY on.
    public static func connect(to address: SocketAddress, options: Options) throws(TransportError) -> BlockingSocket {
        let fd = try retryingEINTR("socket") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let connection = BlockingSocket(descriptor: fd)
        connection.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        if options.keepAlive { connection.setOption(SOL_SOCKET, SO_KEEPALIVE, 1) }
        if options.bufferSize > 0 {
            connection.setOption(SOL_SOCKET, SO_SNDBUF, Int32(clamping: options.bufferSize))
            connection.setOption(SOL_SOCKET, SO_RCVBUF, Int32(clamping: options.bufferSize))
        }
        if let source = options.source {
            guard source.family == address.family else {
                throw TransportError.fromErrno(EAFNOSUPPORT, function: "bind (source address family differs from the backend's)")
            }
            var storage = source.storage
            let rc = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, source.length) }
            }
            if rc != 0 { throw TransportError.fromErrno(errno, function: "bind") }
        }
        try connection.connect(address, timeout: options.connectTimeout)
        return connection
    }

    private func connect(_ address: SocketAddress, timeout: Milliseconds) throws(TransportError) {
        var storage = address.storage
        let length = address.length
        let useTimeout = timeout.value > 0
        if useTimeout { setNonBlocking(true) }
        let rc = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
        }
        if rc == -1 {
            let code = errno
            guard useTimeout, code == EINPROGRESS || code == EINTR else {
                throw TransportError.fromErrno(code, function: "connect")
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = try retryingEINTR("poll") { poll(&poller, 1, Int32(clamping: timeout.value)) }
            if ready == 0 { throw TransportError.timedOut }
            var soError: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &soError, &size)
            if soError != 0 { throw TransportError.fromErrno(soError, function: "connect") }
        }
        if useTimeout { setNonBlocking(false) }
    }

    private func setNonBlocking(_ on: Bool) {
        let flags = fcntl(descriptor, F_GETFL, 0)
        guard flags >= 0 else { return }
        _ = fcntl(descriptor, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    private func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    private func setTimeout(_ name: Int32, _ timeout: Milliseconds) {
        var value = timeval(tv_sec: Int(timeout.value / 1000), tv_usec: Int(timeout.value % 1000) * 1000)
        _ = setsockopt(descriptor, SOL_SOCKET, name, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes every byte or throws. `timeout` .zero waits forever.
    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Milliseconds) throws(TransportError) {
        if timeout != sendTimeout {
            setTimeout(SO_SNDTIMEO, timeout)
            sendTimeout = timeout
        }
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let sent = try retryingEINTR("send") { send(descriptor, pointer, remaining, Int32(MSG_NOSIGNAL)) }
            remaining -= sent
            pointer += sent
        }
    }

    /// Reads what is available, up to `buffer.count` bytes; 0 means the peer closed.
    /// `timeout` .zero waits forever; otherwise throws `.timedOut`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds) throws(TransportError) -> Int {
        if timeout != receiveTimeout {
            setTimeout(SO_RCVTIMEO, timeout)
            receiveTimeout = timeout
        }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try retryingEINTR("recv") { recv(descriptor, base, buffer.count, 0) }
    }

    /// Reads as `read`, first waiting until `gathering` bytes (capped at the buffer and at
    /// `gatherLimit`) have arrived when that is more than one: SO_RCVLOWAT makes the kernel wake
    /// this thread once for them instead of once per packet the peer writes
    /// (docs/architecture.md §5.1). The wait is a `poll` of at most `gatherGrace` (or `timeout`,
    /// if shorter): a peer that sends less than it promised (a Content-Length larger than the
    /// body, a slow producer) costs that much, then the read takes whatever has come, as without
    /// a promise. After the `poll` the read never blocks: the kernel also reports a socket
    /// readable short of the mark (memory pressure, a closing window), and a blocking `recv`
    /// would then wait for the mark, past the grace.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Milliseconds, gathering: Int) throws(TransportError) -> Int {
        let target = min(gathering, buffer.count, Self.gatherLimit)
        guard target > 1, let base = buffer.baseAddress else {
            setLowWater(1)
            return try read(into: buffer, timeout: timeout)
        }
        setLowWater(target)
        let grace = timeout.value > 0 ? min(timeout.value, Self.gatherGrace.value) : Self.gatherGrace.value
        if waitReadable(timeout: Milliseconds(grace)) {
            let received = recv(descriptor, base, buffer.count, Int32(MSG_DONTWAIT))
            if received >= 0 { return received }
            let code = errno
            if code != EAGAIN && code != EWOULDBLOCK && code != EINTR { throw TransportError.fromErrno(code, function: "recv") }
        }
        setLowWater(1)
        return try read(into: buffer, timeout: timeout)
    }

    /// The most a read waits for at once: at the default receive buffer (tcp_rmem 128 KiB) a
    /// mark this size does not make the kernel grow the buffer, which older kernels did by also
    /// clamping the connection's receive window to the mark for good.
    public static let gatherLimit = 64 * 1024

    /// How long a read waits for promised bytes before taking what has come.
    public static let gatherGrace = Milliseconds(20)

    private func setLowWater(_ bytes: Int) {
        guard bytes != lowWater else { return }
        setOption(SOL_SOCKET, SO_RCVLOWAT, Int32(clamping: bytes))
        lowWater = bytes
    }

    /// True when the connection can no longer carry a request: the peer closed or reset it, or
    /// unexpected bytes are waiting (a left-over response). One non-blocking `recv(MSG_PEEK)`:
    /// mod_jk's `jk_is_socket_connected` check before reusing a pooled connection.
    public func isStale() -> Bool {
        var byte: UInt8 = 0
        let result = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if result == -1 {
            let code = errno
            return !(code == EAGAIN || code == EWOULDBLOCK || code == EINTR)
        }
        return true  // 0 = EOF, > 0 = stray data
    }

    /// Waits until data is readable, up to `timeout`; false on timeout.
    public func waitReadable(timeout: Milliseconds) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = (try? retryingEINTR("poll") { poll(&poller, 1, Int32(clamping: timeout.value)) }) ?? 0
        return ready > 0
    }

    /// Closes the descriptor; safe to call twice.
    public func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    /// Sends a RST instead of a FIN (SO_LINGER 0) and closes: used when a response is abandoned
    /// half-read, so the backend stops at once (recovery_options 4).
    public func abort() {
        guard descriptor >= 0 else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }
}
