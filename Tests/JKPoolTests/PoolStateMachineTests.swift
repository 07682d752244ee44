import JKCore
import JKPool
import Testing

struct PoolStateMachineTests {
    typealias Pool = PoolStateMachine<Int>
    static let t0 = Timestamp(milliseconds: 10_000)

    @Test func opensUpToTheLimitThenReportsExhaustion() {
        var pool = Pool(limits: .init(maxSize: 2, minSize: 1, idleTimeout: .zero))
        guard case .open = pool.lease(now: Self.t0) else { Issue.record("expected open"); return }
        guard case .open = pool.lease(now: Self.t0) else { Issue.record("expected open"); return }
        guard case .exhausted = pool.lease(now: Self.t0) else { Issue.record("expected exhausted"); return }
        #expect(pool.total == 2)
        #expect(pool.leased == 2)
    }

    @Test func reusesTheMostRecentlyReleased() {
        var pool = Pool(limits: .init(maxSize: 3, minSize: 0, idleTimeout: .zero))
        _ = pool.lease(now: Self.t0)
        _ = pool.lease(now: Self.t0)
        _ = pool.release(1, reusable: true, now: Self.t0)
        _ = pool.release(2, reusable: true, now: Self.t0 + .seconds(1))
        guard case .use(let connection, let since) = pool.lease(now: Self.t0 + .seconds(2)) else {
            Issue.record("expected reuse")
            return
        }
        #expect(connection == 2)
        #expect(since == Self.t0 + .seconds(1))
    }

    @Test func notReusableIsClosedAndFreesItsSlot() {
        var pool = Pool(limits: .init(maxSize: 1, minSize: 0, idleTimeout: .zero))
        _ = pool.lease(now: Self.t0)
        guard case .close(7) = pool.release(7, reusable: false, now: Self.t0) else { Issue.record("expected close"); return }
        #expect(pool.total == 0)
        guard case .open = pool.lease(now: Self.t0) else { Issue.record("expected a new slot"); return }
    }

    /// The liveness check's evidence: only a connection coming back after a request (reusable
    /// or not) counts; a failed open or a discarded connection does not.
    @Test func lastReturnIsTheLastRelease() {
        var pool = Pool(limits: .init(maxSize: 3, minSize: 0, idleTimeout: .zero))
        #expect(pool.lastReturn == nil)
        _ = pool.lease(now: Self.t0)
        _ = pool.lease(now: Self.t0)
        _ = pool.lease(now: Self.t0)
        _ = pool.release(1, reusable: true, now: Self.t0 + .seconds(1))
        #expect(pool.lastReturn == Self.t0 + .seconds(1))
        _ = pool.release(2, reusable: false, now: Self.t0 + .seconds(2))
        #expect(pool.lastReturn == Self.t0 + .seconds(2))
        pool.discarded()
        pool.openFailed()
        #expect(pool.lastReturn == Self.t0 + .seconds(2))
    }

    @Test func failedOpenAndDiscardFreeSlots() {
        var pool = Pool(limits: .init(maxSize: 1, minSize: 0, idleTimeout: .zero))
        _ = pool.lease(now: Self.t0)
        pool.openFailed()
        #expect(pool.total == 0)
        _ = pool.lease(now: Self.t0)
        pool.discarded()
        #expect(pool.total == 0 && pool.leased == 0)
    }

    @Test func sweepClosesIdleConnectionsDownToTheMinimum() {
        var pool = Pool(limits: .init(maxSize: 4, minSize: 1, idleTimeout: .seconds(600)))
        for _ in 0..<3 { _ = pool.lease(now: Self.t0) }
        for id in 1...3 { _ = pool.release(id, reusable: true, now: Self.t0 + .seconds(id)) }
        #expect(pool.sweep(now: Self.t0 + .seconds(300)).isEmpty)
        let closed = pool.sweep(now: Self.t0 + .seconds(700))
        #expect(closed == [1, 2])
        #expect(pool.total == 1)
    }

    @Test func idleProbesLeaseOldConnectionsOnly() {
        var pool = Pool(limits: .init(maxSize: 4, minSize: 0, idleTimeout: .zero))
        for _ in 0..<2 { _ = pool.lease(now: Self.t0) }
        _ = pool.release(1, reusable: true, now: Self.t0)
        _ = pool.release(2, reusable: true, now: Self.t0 + .seconds(50))
        let probed = pool.leaseIdle(longerThan: .seconds(30), now: Self.t0 + .seconds(60))
        #expect(probed == [1])
        #expect(pool.idleCount == 1)
        #expect(pool.leased == 1)
    }

    @Test func drainClosesIdleAndRefusesLaterReleases() {
        var pool = Pool(limits: .init(maxSize: 2, minSize: 0, idleTimeout: .zero))
        _ = pool.lease(now: Self.t0)
        _ = pool.lease(now: Self.t0)
        _ = pool.release(1, reusable: true, now: Self.t0)
        #expect(pool.drain() == [1])
        guard case .close(2) = pool.release(2, reusable: true, now: Self.t0) else { Issue.record("expected close"); return }
        #expect(pool.total == 0)
    }
}
