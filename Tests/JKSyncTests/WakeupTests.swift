import Glibc
import JKSync
import Testing

struct WakeupTests {
    @Test func waitsTheWholeTimeWhenNobodySignals() {
        let wakeup = Wakeup()
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        #expect(wakeup.wait(milliseconds: 30) == false)
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let elapsed = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1_000_000
        #expect(elapsed >= 29)
    }

    @Test func aSignalEndsEveryWaitAtOnce() {
        let wakeup = Wakeup()
        wakeup.signal()
        #expect(wakeup.wait(milliseconds: 60_000))
        #expect(wakeup.wait(milliseconds: 60_000))
    }
}
