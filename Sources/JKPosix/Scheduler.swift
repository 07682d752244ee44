import Glibc

/// The CPU scheduler, seen from a request thread.
public enum Scheduler {
    /// Lets the threads waiting for this CPU run first (`sched_yield`); with none waiting it
    /// returns at once. A request thread calls it once the client has its whole response, so on
    /// a saturated machine the others get the CPU at a request boundary rather than when the
    /// scheduler preempts this thread in the middle of its next request
    /// (docs/architecture.md §5.1).
    public static func yieldToWaitingThreads() {
        _ = sched_yield()
    }
}
