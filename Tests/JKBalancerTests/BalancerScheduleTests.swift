import JKBalancer
import JKCore
import Testing

/// mod_jk's arithmetic as schedules (docs/architecture.md §12): one row per configuration, the
/// members chosen for consecutive new sessions with no maintenance in between.
struct BalancerScheduleTests {
    static func balancer(_ factors: [Int], method: LoadBalancingMethodKind = .requests) -> Balancer {
        var settings = Balancer.Settings()
        settings.method = method
        let names = ["a", "b", "c", "d", "e"]
        return Balancer(
            name: "lb", members: factors.enumerated().map { Balancer.Member(name: names[$0.offset], lbFactor: $0.element) },
            settings: settings)
    }

    /// Chooses `count` times without sessions, committing each choice and recording success.
    static func schedule(_ balancer: Balancer, count: Int, request: BalancingRequest = BalancingRequest()) -> String {
        var runtime = balancer.initialRuntime()
        var offset = 0
        var names = ""
        for _ in 0..<count {
            guard let choice = balancer.choose(runtime: runtime, request: request, local: RequestMemberStates(), offset: &offset) else {
                return names + "!"
            }
            balancer.commit(choice, runtime: &runtime, request: request, now: Timestamp(milliseconds: 1))
            var local = RequestMemberStates()
            _ = balancer.record(.success, member: choice.member, bytes: 100, runtime: &runtime, local: &local, now: Timestamp(milliseconds: 1))
            names += balancer.members[choice.member].name
        }
        return names
    }

    @Test(arguments: [
        ([1, 1], "abababab"),
        ([1, 1, 1], "abcabcabc"),
        ([1, 1, 1, 2], "abcddabcdd"),
        ([1, 3], "abbbabbbabbb"),
        ([3, 1], "abaabaaabaaa"),
        ([2, 1], "ababaa"),
    ])
    func requestMethodSchedules(factors: [Int], expected: String) {
        #expect(Self.schedule(Self.balancer(factors), count: expected.count) == expected)
    }

    @Test func threeToOneSplitsFourHundredExactly() {
        let names = Self.schedule(Self.balancer([3, 1]), count: 400)
        #expect(names.filter { $0 == "a" }.count == 300)
        #expect(names.filter { $0 == "b" }.count == 100)
    }

    @Test func multipliersComeFromTheLeastCommonMultiple() {
        #expect(Balancer.multipliers(for: [1, 3]) == [3, 1])
        #expect(Balancer.multipliers(for: [2, 3, 4]) == [6, 4, 3])
        #expect(Balancer.multipliers(for: [1, 1, 1, 2]) == [2, 2, 2, 1])
    }

    @Test func sessionMethodCountsOnlyNewSessions() {
        let balancer = Self.balancer([1, 1], method: .sessions)
        var runtime = balancer.initialRuntime()
        var offset = 0
        let sticky = BalancingRequest(sessionIDs: ["X.a"])
        for _ in 0..<5 {
            let choice = balancer.choose(runtime: runtime, request: sticky, local: RequestMemberStates(), offset: &offset)
            #expect(choice?.member == 0)
            if let choice { balancer.commit(choice, runtime: &runtime, request: sticky, now: Timestamp(milliseconds: 1)) }
        }
        #expect(runtime[0].lbValue == 0)
        #expect(runtime[0].elected == 5)
        let fresh = BalancingRequest()
        let choice = balancer.choose(runtime: runtime, request: fresh, local: RequestMemberStates(), offset: &offset)
        #expect(choice != nil)
        if let choice { balancer.commit(choice, runtime: &runtime, request: fresh, now: Timestamp(milliseconds: 1)) }
        #expect(runtime.map(\.lbValue).reduce(0, +) == 1)
        #expect(runtime.map(\.sessions).reduce(0, +) == 1)
    }

    @Test func statelessRequestsRotate() {
        let request = BalancingRequest(stateless: true)
        #expect(Self.schedule(Self.balancer([1, 5, 1]), count: 6, request: request) == "abcabc")
    }

    @Test func busynessGoesDownAfterTheRequest() {
        let balancer = Self.balancer([1, 1], method: .busyness)
        var runtime = balancer.initialRuntime()
        var offset = 0
        let choice = balancer.choose(runtime: runtime, request: BalancingRequest(), local: RequestMemberStates(), offset: &offset)
        #expect(choice?.member == 0)
        if let choice { balancer.commit(choice, runtime: &runtime, request: BalancingRequest(), now: Timestamp(milliseconds: 1)) }
        #expect(runtime[0].lbValue == 1)
        var local = RequestMemberStates()
        _ = balancer.record(.success, member: 0, bytes: 0, runtime: &runtime, local: &local, now: .zero)
        #expect(runtime[0].lbValue == 0)
    }

    @Test(arguments: [LoadBalancingMethodKind.busyness, .requests, .sessions])
    func aRequestThatFoundNoFreeConnectionIsNotCounted(method: LoadBalancingMethodKind) {
        let balancer = Self.balancer([1, 1], method: method)
        var runtime = balancer.initialRuntime()
        var offset = 0
        let request = BalancingRequest()
        let choice = balancer.choose(runtime: runtime, request: request, local: RequestMemberStates(), offset: &offset)
        if let choice { balancer.commit(choice, runtime: &runtime, request: request, now: Timestamp(milliseconds: 1)) }
        var local = RequestMemberStates()
        balancer.recordBusy(member: 0, runtime: &runtime, local: &local, request: request)
        #expect(runtime[0].lbValue == 0)
        #expect(runtime[0].sessions == 0)
        #expect(runtime[0].elected == 0)
        #expect(runtime[0].busy == 0)
        #expect(runtime[0].state == .busy)
    }

    @Test func trafficCountsBytes() {
        let balancer = Self.balancer([1, 2], method: .traffic)
        var runtime = balancer.initialRuntime()
        var local = RequestMemberStates()
        _ = balancer.record(.success, member: 0, bytes: 1000, runtime: &runtime, local: &local, now: .zero)
        #expect(runtime[0].lbValue == 2000)
    }

    @Test func distancePrefersTheNearTier() {
        var settings = Balancer.Settings()
        settings.method = .requests
        let balancer = Balancer(
            name: "lb", members: [.init(name: "far", distance: 1), .init(name: "near1"), .init(name: "near2")], settings: settings)
        #expect(Self.schedule(balancer, count: 4) == "near1near2near1near2")
    }
}
