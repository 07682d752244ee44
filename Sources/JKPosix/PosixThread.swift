import Glibc

/// A joinable pthread running one closure. Only for a child's own background work (the
/// watchdog): httpd forks after loading the module, so nothing may start one in the parent.
public final class PosixThread: @unchecked Sendable {
    private var thread = pthread_t()
    private var joined = false

    private init() {}

    /// Starts `body` on a new thread; on failure returns the pthread_create error number.
    public static func start(_ body: @escaping @Sendable () -> Void) -> Result<PosixThread, StartError> {
        let handle = PosixThread()
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&handle.thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            return .failure(StartError(code: rc))
        }
        return .success(handle)
    }

    /// Waits for the closure to return (once; later calls return at once).
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    /// pthread_create's error number, with its text.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var code: Int32
        public var description: String { "\(errnoMessage(code)) (error \(code))" }
    }

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
