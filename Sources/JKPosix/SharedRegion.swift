import Glibc

/// The JkShmFile: a file mapped MAP_SHARED by the parent, inherited by every child through fork,
/// holding plain-integer records and one process-shared robust mutex.
///
/// Layout: `[pthread_mutex_t, padded to 64 bytes][caller's bytes …]`. The mutex is robust: a
/// child that dies holding it (a trap is SIGILL) does not wedge the others; the next locker
/// gets EOWNERDEAD, marks the mutex consistent and carries on — the records are counters and
/// states, each written whole, so they stay usable.
public final class SharedRegion: @unchecked Sendable {
    public let path: String
    public let size: Int
    private let base: UnsafeMutableRawPointer
    private let descriptor: Int32
    private var closed = false
    static let lockArea = 64

    /// The bytes after the lock, for the caller's records.
    public var payload: UnsafeMutableRawPointer { base + Self.lockArea }
    public var payloadSize: Int { size - Self.lockArea }

    /// Creates (truncating) and maps `path` with room for `payloadSize` bytes, zero-filled.
    public static func create(path: String, payloadSize: Int) throws(FileError) -> SharedRegion {
        let size = Self.lockArea + max(payloadSize, 64)
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: path, operation: "create the shared memory file", errno: errno) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw FileError(path: path, operation: "size the shared memory file", errno: code)
        }
        guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapping != MAP_FAILED else {
            let code = errno
            _ = Glibc.close(fd)
            throw FileError(path: path, operation: "map the shared memory file", errno: code)
        }
        memset(mapping, 0, size)
        let mutex = mapping.assumingMemoryBound(to: pthread_mutex_t.self)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))
        pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        return SharedRegion(path: path, size: size, base: mapping, descriptor: fd)
    }

    private init(path: String, size: Int, base: UnsafeMutableRawPointer, descriptor: Int32) {
        self.path = path
        self.size = size
        self.base = base
        self.descriptor = descriptor
    }

    /// Runs `body` holding the cross-process lock. Keep `body` short: no I/O, no logging.
    @inline(__always)
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        let mutex = base.assumingMemoryBound(to: pthread_mutex_t.self)
        let rc = pthread_mutex_lock(mutex)
        if rc == EOWNERDEAD { pthread_mutex_consistent(mutex) }
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Unmaps and closes; `unlink` removes the file (the parent, at restart and stop).
    public func close(unlink: Bool) {
        guard !closed else { return }
        closed = true
        munmap(base, size)
        _ = Glibc.close(descriptor)
        if unlink { _ = Glibc.unlink(path) }
    }
}
