import Testing

@testable import JKStatus

@Suite struct NonceRingTests {
    @Test func issuedNonceIsAcceptedOnceThenRefused() {
        let slots = UnsafeMutableBufferPointer<NonceSlot>.allocate(capacity: 4)
        defer { slots.deallocate() }
        _ = slots.initialize(repeating: NonceSlot())
        var ring = NonceRing(slots: slots)
        let nonce = ring.issue(random: (0xDEAD_BEEF, 42), now: 1000)
        #expect(nonce.count == 32)
        let r1 = ring.consume(nonce, now: 2000)
        #expect(r1)
        let r2 = ring.consume(nonce, now: 2001)
        #expect(!r2)
    }

    @Test func forgedExpiredAndMalformedNoncesAreRefused() {
        let slots = UnsafeMutableBufferPointer<NonceSlot>.allocate(capacity: 2)
        defer { slots.deallocate() }
        _ = slots.initialize(repeating: NonceSlot())
        var ring = NonceRing(slots: slots)
        let nonce = ring.issue(random: (1, 2), now: 10)
        let r3 = ring.consume("0000000000000001" + "0000000000000003", now: 11)
        #expect(!r3)
        let r4 = ring.consume("xyz", now: 11)
        #expect(!r4)
        let r5 = ring.consume("", now: 11)
        #expect(!r5)
        let r6 = ring.consume(nonce, now: 10 + NonceRing.lifetime + 1)
        #expect(!r6)
    }

    @Test func theOldestSlotIsReusedWhenFull() {
        let slots = UnsafeMutableBufferPointer<NonceSlot>.allocate(capacity: 2)
        defer { slots.deallocate() }
        _ = slots.initialize(repeating: NonceSlot())
        var ring = NonceRing(slots: slots)
        let first = ring.issue(random: (1, 1), now: 10)
        let second = ring.issue(random: (2, 2), now: 20)
        let third = ring.issue(random: (3, 3), now: 30)
        let r7 = ring.consume(first, now: 40)
        #expect(!r7)
        let r8 = ring.consume(second, now: 40)
        #expect(r8)
        let r9 = ring.consume(third, now: 40)
        #expect(r9)
    }
}
