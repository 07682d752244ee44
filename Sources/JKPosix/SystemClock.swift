import Glibc
import JKCore

/// The clocks. Decisions take `now` as an argument; only the shell calls these.
public enum SystemClock {
    /// CLOCK_MONOTONIC in milliseconds: system-wide, so children agree on times stored in the
    /// shared balancer record.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) &* 1000 &+ Int64(spec.tv_nsec) / 1_000_000)
    }

    /// CLOCK_MONOTONIC in microseconds, for request durations.
    public static func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) &* 1_000_000 &+ Int64(spec.tv_nsec) / 1000
    }

    /// Wall-clock seconds and microseconds, for log stamps.
    public static func wallClock() -> (seconds: Int, microseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec) / 1000)
    }

    /// Sleeps the calling thread.
    public static func sleep(_ duration: Milliseconds) {
        guard duration.value > 0 else { return }
        var request = timespec(tv_sec: Int(duration.value / 1000), tv_nsec: Int(duration.value % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}

/// Process and thread identity for log lines (mod_jk prints `[pid:tid]` with `pthread_self()`).
public enum ProcessIdentity {
    public static var pid: Int32 { getpid() }
    public static var threadID: UInt { UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }
}
