import JKCore
import JKPool
import Testing

struct PoolCanLeaseTests {
    @Test func canLeaseUntilEverySlotIsTaken() {
        var pool = PoolStateMachine<Int>(limits: .init(maxSize: 1, minSize: 0, idleTimeout: .seconds(60)))
        #expect(pool.canLease)
        _ = pool.lease(now: Timestamp(milliseconds: 0))
        #expect(!pool.canLease)
    }
}
