import JKCore
import JKPosix
import JKSync

/// One background thread per child (`JkWatchdogInterval`), started in child_init — never in the
/// parent, whose threads would not survive fork.
///
/// Every interval it runs the balancers' global maintenance when due, CPING-probes members in
/// error so a restarted Tomcat takes traffic again without sacrificing a user request, closes
/// pooled connections idle past `connection_pool_timeout`, and CPINGs long-idle pooled
/// connections (`ping_mode` I).
final class Watchdog: @unchecked Sendable {
    /// SwiftJK's default interval in seconds (mod_jk: 0, maintenance only on requests).
    static let defaultInterval = 1

    private let runtime: Runtime
    private let interval: Milliseconds
    /// Cut short by stop(), so a stopping child is not held up by a sleeping watchdog.
    private let wakeup = Wakeup()
    private var thread: PosixThread?

    private init(runtime: Runtime, interval: Milliseconds) {
        self.runtime = runtime
        self.interval = interval
    }

    static func start(runtime: Runtime, interval: Milliseconds) -> Watchdog? {
        let watchdog = Watchdog(runtime: runtime, interval: interval)
        switch PosixThread.start({ watchdog.run() }) {
        case .success(let thread):
            watchdog.thread = thread
            return watchdog
        case .failure(let error):
            runtime.configuration.mainLog.error("watchdog thread could not start (\(error)); recovery falls back to requests")
            return nil
        }
    }

    private func run() {
        while !wakeup.wait(milliseconds: max(1, interval.value)) {
            Maintenance.run(runtime, now: SystemClock.now(), probe: true)
        }
    }

    func stop() {
        wakeup.signal()
        thread?.join()
    }
}
