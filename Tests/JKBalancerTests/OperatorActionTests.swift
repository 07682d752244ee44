import JKBalancer
import JKCore
import Testing

/// Drain, slow start and the status worker's changes to the shared records, over explicit times.
struct OperatorActionTests {
    static let t0 = Timestamp(milliseconds: 5_000_000)

    static func balancer(drain: Int = 0, slowStart: Int = 0) -> Balancer {
        Balancer(
            name: "worker1",
            members: [
                .init(name: "was1", slowStart: .seconds(slowStart), drainTimeout: .seconds(drain)),
                .init(name: "was2"),
            ],
            settings: Balancer.Settings())
    }

    @Test func disablingStartsTheDrainClockAndStoppingEndsIt() {
        let balancer = Self.balancer()
        var runtime = balancer.initialRuntime()
        balancer.setActivation(.disabled, member: 0, runtime: &runtime, now: Self.t0)
        #expect(runtime[0].activation == .disabled)
        #expect(runtime[0].disabledSince == Self.t0.milliseconds)
        #expect(runtime[0].changed & OperatorChange.activation != 0)
        balancer.setActivation(.stopped, member: 0, runtime: &runtime, now: Self.t0)
        #expect(runtime[0].disabledSince == 0)
    }

    @Test func comingBackFromStoppedStartsTheRamp() {
        let balancer = Self.balancer(slowStart: 10)
        var runtime = balancer.initialRuntime()
        balancer.setActivation(.stopped, member: 0, runtime: &runtime, now: Self.t0)
        #expect(runtime[0].rampStart == 0)
        balancer.setActivation(.active, member: 0, runtime: &runtime, now: Self.t0 + .seconds(5))
        #expect(runtime[0].rampStart == (Self.t0 + .seconds(5)).milliseconds)
        #expect(runtime[0].recoveries == 1)
    }

    @Test(arguments: [
        // (seconds since disabled, seconds since last sticky request or nil, stopped?)
        (2, nil, false), (3, nil, true), (10, 1, false), (10, 3, true),
    ] as [(Int64, Int64?, Bool)])
    func aQuietDisabledMemberStopsAfterTheDrainTimeout(elapsed: Int64, stickyAgo: Int64?, stops: Bool) {
        let balancer = Self.balancer(drain: 3)
        var runtime = balancer.initialRuntime()
        balancer.setActivation(.disabled, member: 0, runtime: &runtime, now: Self.t0)
        let now = Self.t0 + .seconds(Int(elapsed))
        if let stickyAgo { runtime[0].lastStickyTime = now.milliseconds - stickyAgo * 1000 }
        let stopped = balancer.stopDrained(runtime: &runtime, now: now)
        #expect(stopped == (stops ? [0] : []))
        #expect(runtime[0].activation == (stops ? .stopped : .disabled))
    }

    @Test func withoutADrainTimeoutADisabledMemberStaysDisabled() {
        let balancer = Self.balancer()
        var runtime = balancer.initialRuntime()
        balancer.setActivation(.disabled, member: 0, runtime: &runtime, now: Self.t0)
        #expect(balancer.stopDrained(runtime: &runtime, now: Self.t0 + .seconds(100_000)).isEmpty)
    }

    @Test func aStickyCommitRecordsTheTime() {
        let balancer = Self.balancer(drain: 3)
        var runtime = balancer.initialRuntime()
        var offset = 0
        let request = BalancingRequest(sessionIDs: ["A.was1"])
        guard let choice = balancer.choose(runtime: runtime, request: request, local: RequestMemberStates(), offset: &offset) else {
            Issue.record("no member chosen")
            return
        }
        #expect(choice.isSticky)
        balancer.commit(choice, runtime: &runtime, request: request, now: Self.t0)
        #expect(runtime[0].lastStickyTime == Self.t0.milliseconds)
    }

    @Test(arguments: [(0, 20 * 1024), (500, 20 * 1024), (1000, 10 * 1024), (2500, 4 * 1024), (4000, 2560), (7500, 1365), (9999, 1024), (10000, 1024), (60000, 1024)] as [(Int64, UInt64)])
    func slowStartWeighsRequestsDownOverTheRamp(elapsedMs: Int64, weight: UInt64) {
        let balancer = Self.balancer(slowStart: 10)
        var record = MemberRuntime()
        record.rampStart = Self.t0.milliseconds
        #expect(balancer.slowStartWeight(0, record, now: Self.t0 + Milliseconds(elapsedMs)) == weight)
        // A member without slow start, or not ramping, is never weighed.
        #expect(balancer.slowStartWeight(1, record, now: Self.t0) == 1024)
        #expect(balancer.slowStartWeight(0, MemberRuntime(), now: Self.t0) == 1024)
    }

    @Test func fractionalWeightsAddUpExactly() {
        let balancer = Self.balancer(slowStart: 10)
        var record = MemberRuntime()
        record.rampStart = Self.t0.milliseconds
        // At 7.5 s a request weighs 4/3: three requests add exactly 4.
        var total: UInt64 = 0
        for _ in 0..<3 { total += balancer.slowStartIncrement(1, member: 0, record: &record, now: Self.t0 + .seconds(7) + Milliseconds(500)) }
        #expect(total == 3 || total == 4)
        for _ in 0..<297 { total += balancer.slowStartIncrement(1, member: 0, record: &record, now: Self.t0 + .seconds(7) + Milliseconds(500)) }
        #expect(total >= 399 && total <= 400)
    }

    /// Over a 10 s ramp, the returning member's share of new sessions grows from a few
    /// percent to about half (two members of equal lbfactor).
    @Test func theReturningMembersShareRisesOverTheRamp() {
        let balancer = Self.balancer(slowStart: 10)
        var runtime = balancer.initialRuntime()
        balancer.setActivation(.stopped, member: 0, runtime: &runtime, now: Self.t0)
        balancer.setActivation(.active, member: 0, runtime: &runtime, now: Self.t0)
        var shares: [Double] = []
        var offset = 0
        for second in 0..<12 {
            var toReturning = 0
            for step in 0..<100 {
                let now = Self.t0 + Milliseconds(Int64(second) * 1000 + Int64(step) * 10)
                let request = BalancingRequest()
                guard let choice = balancer.choose(runtime: runtime, request: request, local: RequestMemberStates(), offset: &offset) else {
                    Issue.record("no member chosen")
                    return
                }
                balancer.commit(choice, runtime: &runtime, request: request, now: now)
                _ = balancer.record(.success, member: choice.member, bytes: 0, runtime: &runtime, local: &RequestMemberStatesBox.scratch, now: now)
                if choice.member == 0 { toReturning += 1 }
            }
            shares.append(Double(toReturning) / 100)
        }
        // The share follows elapsed / (slow_start + elapsed) of the steady half, to the end.
        #expect(shares[0] < 0.15)
        #expect(shares[4] > shares[0])
        #expect(shares[7] > 0.35 && shares[7] < 0.47)
        #expect(shares[11] > 0.45 && shares[11] < 0.55)
    }

    @Test func anLbFactorChangeRecomputesEveryMultiplier() {
        let balancer = Self.balancer()
        var runtime = balancer.initialRuntime()
        balancer.setLBFactor(3, member: 1, runtime: &runtime)
        #expect(runtime.map(\.lbFactor) == [1, 3])
        #expect(runtime.map(\.lbMult) == [3, 1])
        #expect(runtime[1].changed & OperatorChange.lbFactor != 0)
    }

    @Test func resetClearsCountersErrorsAndState() {
        var record = MemberRuntime()
        record.elected = 9
        record.errors = 2
        record.state = .error
        record.lastErrorTime = 77
        record.lbValue = 40
        record.busy = 1
        Balancer.resetCounters(&record, now: Self.t0)
        #expect(record.elected == 0 && record.errors == 0 && record.lbValue == 0 && record.lastErrorTime == 0)
        #expect(record.state == .idle)
        #expect(record.busy == 1)
        #expect(record.lastReset == Self.t0.milliseconds)
    }

    @Test func recoverMarksOnlyMembersInError() {
        let balancer = Self.balancer()
        var runtime = balancer.initialRuntime()
        runtime[1].lbValue = 21
        #expect(!balancer.markForRecovery(member: 0, runtime: &runtime))
        runtime[0].state = .error
        #expect(balancer.markForRecovery(member: 0, runtime: &runtime))
        #expect(runtime[0].state == .recovering)
        #expect(runtime[0].lbValue == 21)
        #expect(!balancer.markForRecovery(member: 0, runtime: &runtime))
    }

    @Test func theSharedRecordsRebuildTheBalancer() {
        let balancer = Self.balancer()
        var runtime = balancer.initialRuntime()
        var labels = balancer.initialLabels()
        labels[0].route = FixedText("node-a")
        labels[0].domain = FixedText("dom")
        runtime[0].distance = 2
        runtime[1].lbFactor = 4
        var settings = balancer.settings.shared
        settings.stickySession = 0
        settings.methodRaw = UInt8(LoadBalancingMethodKind.allCases.firstIndex(of: .busyness) ?? 0)
        settings.retries = 5
        let rebuilt = balancer.applying(settings: settings, runtime: runtime, labels: labels)
        #expect(rebuilt.members[0].route == "node-a")
        #expect(rebuilt.members[0].domain == "dom")
        #expect(rebuilt.members[0].distance == 2)
        #expect(rebuilt.members[1].lbFactor == 4)
        #expect(!rebuilt.settings.stickySession)
        #expect(rebuilt.settings.method == .busyness)
        #expect(rebuilt.settings.retries == 5)
        #expect(rebuilt.index(ofRoute: "node-a") == 0)
    }

    @Test func fixedTextKeepsUpTo63BytesAndCutsAtACharacter() {
        #expect(FixedText("was1").string == "was1")
        #expect(FixedText(exactly: String(repeating: "r", count: 64)) == nil)
        #expect(FixedText(String(repeating: "r", count: 70)).string.utf8.count == 63)
        let accented = String(repeating: "é", count: 40)  // 80 bytes
        #expect(FixedText(accented).string == String(repeating: "é", count: 31))
    }
}

/// A scratch per-request state for tests that do not look at it.
enum RequestMemberStatesBox {
    nonisolated(unsafe) static var scratch = RequestMemberStates()
}
