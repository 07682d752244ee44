import Glibc

/// An append-only log descriptor shared by every child and thread.
///
/// Opened by the parent while it is still root (children inherit it through fork) with
/// O_APPEND, and each line is written with exactly one `write(2)`: lines from many processes and
/// threads never tear or interleave on a local file (docs/architecture.md §8, verified up to 64 KB).
public final class LogFile: @unchecked Sendable {
    public let descriptor: Int32
    public let path: String
    private let ownsDescriptor: Bool

    /// Opens (creating, mode 0644) `path` for appending.
    public init(path: String) throws(FileError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, operation: "open for appending", errno: errno) }
        self.descriptor = fd
        self.path = path
        self.ownsDescriptor = true
    }

    /// Wraps a descriptor owned by someone else (httpd's piped-log writer end).
    public init(borrowing descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.path = name
        self.ownsDescriptor = false
    }

    /// Writes one complete line (the caller includes the newline). Short writes are finished
    /// with further writes. A line that cannot be written (disk full, a piped logger gone
    /// during a graceful restart) goes to stderr, which in an httpd child is httpd's error
    /// log, as mod_jk sends it there; a logger must never fail a request.
    public func write(_ line: UnsafeRawBufferPointer) {
        guard var pointer = line.baseAddress else { return }
        var remaining = line.count
        var attempts = 0
        while remaining > 0 && attempts < 8 {
            attempts += 1
            let written = Glibc.write(descriptor, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                writeToStandardError(line, failure: errno)
                return
            }
            remaining -= written
            pointer += written
        }
    }

    private func writeToStandardError(_ line: UnsafeRawBufferPointer, failure: Int32) {
        guard descriptor != STDERR_FILENO else { return }
        var prefix = "SwiftJK: cannot write the jk log (\(errnoMessage(failure))): "
        prefix.withUTF8 { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        _ = Glibc.write(STDERR_FILENO, line.baseAddress, line.count)
    }

    public func write(_ line: String) {
        var line = line
        line.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    public func close() {
        if ownsDescriptor { _ = Glibc.close(descriptor) }
    }
}

/// A failed file operation, with the path and errno text for the error message.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let errno: Int32
    public var description: String { "cannot \(operation) '\(path)': \(errnoMessage(errno)) (errno=\(errno))" }
}

/// Whole-file reads and metadata for configuration files.
public enum Files {
    /// The file's bytes as text (invalid UTF-8 repaired).
    public static func readText(_ path: String) throws(FileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { _ = Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 64 << 20 { throw FileError(path: path, operation: "read (over 64 MiB)", errno: EFBIG) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Modification time in seconds, or nil when the file cannot be stat'ed.
    public static func modificationTime(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mtim.tv_sec)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Paths matching a shell pattern, sorted (for `Include conf.d/*.conf`).
    public static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }

    public static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    /// Replaces `path` with `text` (written to a temporary file, then renamed), mode 0600.
    public static func writeText(_ path: String, _ text: String) throws(FileError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: temporary, operation: "create", errno: errno) }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + done }, bytes.count - done) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                _ = Glibc.close(fd)
                Glibc.unlink(temporary)
                throw FileError(path: temporary, operation: "write", errno: code)
            }
            done += count
        }
        _ = Glibc.close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            Glibc.unlink(temporary)
            throw FileError(path: path, operation: "rename into place", errno: code)
        }
    }

    /// The process environment, for `$(VAR)` fallback in workers.properties.
    public static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }
}

/// Path queries for translate_name and the start-up checks.
public enum Paths {
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Why `path` cannot be opened for appending (creating it, as `LogFile` does), or nil when
    /// it can. A file it had to create stays: the real pass would create it anyway.
    public static func appendProblem(_ path: String) -> String? {
        if isDirectory(path) { return "it is a directory" }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        _ = close(fd)
        return nil
    }

    /// Why `path` cannot be executed (httpd's piped-log check, `access(X_OK)`), or nil.
    public static func executeProblem(_ path: String) -> String? {
        if isDirectory(path) { return "it is a directory" }
        return access(path, X_OK) == 0 ? nil : String(cString: strerror(errno))
    }
}
