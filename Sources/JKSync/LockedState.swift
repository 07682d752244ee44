import Glibc

/// State guarded by a plain pthread mutex.
///
/// Why not `Synchronization.Mutex`: on Linux its slow path spins before sleeping, and with
/// httpd's 25+ threads per child on two cores that spinning showed up as the largest single
/// item of the module's CPU profile (9 % of samples in `_MutexHandle._lockSlow`). glibc's
/// default mutex goes straight to the futex, which is what mod_jk's critical sections use too.
///
/// Keep critical sections short: no I/O, no logging.
public final class LockedState<State>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    public init(_ initial: State) {
        state = initial
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
