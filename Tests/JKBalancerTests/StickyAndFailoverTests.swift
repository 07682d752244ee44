import JKBalancer
import JKCore
import Testing

/// Sticky routing, its fallbacks and the error/recovery states, over explicit times.
struct StickyAndFailoverTests {
    static let t0 = Timestamp(milliseconds: 1_000_000)

    static func balancer(_ members: [Balancer.Member], force: Bool = false) -> Balancer {
        var settings = Balancer.Settings()
        settings.stickySessionForce = force
        return Balancer(name: "worker1", members: members, settings: settings)
    }

    static let twoNodes = balancer([.init(name: "was1"), .init(name: "was2")])

    static func choose(_ balancer: Balancer, _ runtime: [MemberRuntime], ids: [Substring]?, local: RequestMemberStates = RequestMemberStates()) -> Choice? {
        var offset = 0
        return balancer.choose(runtime: runtime, request: BalancingRequest(sessionIDs: ids), local: local, offset: &offset)
    }

    @Test func routeIsTheTextAfterTheFirstDot() {
        #expect(SessionIdentifiers.route(of: "9C95.was1") == "was1")
        #expect(SessionIdentifiers.route(of: "9C95.dom.was1") == "dom.was1")
        #expect(SessionIdentifiers.route(of: "9C95") == nil)
        #expect(SessionIdentifiers.route(of: "9C95.") == nil)
        #expect(SessionIdentifiers.route(of: ".") == nil)
    }

    /// The byte search works on offsets within the slice, not within the string it came from.
    @Test func routeOfASliceAndOfNonASCIIText() {
        let parts = "x.y;9C95.was1;é9.wäs2".split(separator: ";")
        #expect(SessionIdentifiers.route(of: parts[1]) == "was1")
        #expect(SessionIdentifiers.route(of: parts[2]) == "wäs2")
        #expect(Self.twoNodes.index(ofRoute: "a,was2".split(separator: ",")[1]) == 1)
        #expect(Self.twoNodes.index(ofRoute: "was") == nil)
        #expect(Self.twoNodes.index(ofRoute: "was22") == nil)
        #expect(Self.twoNodes.index(ofRoute: "was1") == 0)
        // A route too long for a small string, and one member's route a prefix of the other's.
        let long = Self.balancer([.init(name: "n", route: "a-rather-long-jvm-route"), .init(name: "m", route: "a-rather-long-jvm-route-2")])
        #expect(SessionIdentifiers.route(of: "X1.a-rather-long-jvm-route-2") == "a-rather-long-jvm-route-2")
        #expect(long.index(ofRoute: SessionIdentifiers.route(of: "X1.a-rather-long-jvm-route-2") ?? "") == 1)
        #expect(long.index(ofRoute: "a-rather-long-jvm-route") == 0)
    }

    @Test func stickyToItsRoute() {
        let runtime = Self.twoNodes.initialRuntime()
        let choice = Self.choose(Self.twoNodes, runtime, ids: ["ABC.was2"])
        #expect(choice?.member == 1)
        #expect(choice?.isSticky == true)
        #expect(choice?.requestedSession == 0)
        #expect(choice?.requestedRoute(in: BalancingRequest(sessionIDs: ["ABC.was2"])) == "was2")
    }

    @Test func severalCookiesAreTriedInOrder() {
        let runtime = Self.twoNodes.initialRuntime()
        let ids: [Substring] = ["NOROUTE", "OLD.gone", "NEW.was2"]
        let choice = Self.choose(Self.twoNodes, runtime, ids: ids)
        #expect(choice?.member == 1)
        #expect(choice?.requestedRoute(in: BalancingRequest(sessionIDs: ids)) == "was2")
    }

    @Test func aBalancedChoiceNamesTheFirstRouteAskedFor() {
        let runtime = Self.twoNodes.initialRuntime()
        let ids: [Substring] = ["NOROUTE", "OLD.gone", "OTHER.lost"]
        let choice = Self.choose(Self.twoNodes, runtime, ids: ids)
        #expect(choice?.reason == .balanced)
        #expect(choice?.requestedSession == 1)
        #expect(choice?.requestedRoute(in: BalancingRequest(sessionIDs: ids)) == "gone")
        #expect(choice?.requestedRoute(in: BalancingRequest(sessionIDs: nil)) == nil)
    }

    @Test func deadOwnerFailsOverToTheOther() {
        var runtime = Self.twoNodes.initialRuntime()
        runtime[0].state = .error
        let choice = Self.choose(Self.twoNodes, runtime, ids: ["ABC.was1"])
        #expect(choice?.member == 1)
        #expect(choice?.reason == .balanced)
        #expect(choice?.requestedRoute(in: BalancingRequest(sessionIDs: ["ABC.was1"])) == "was1")
    }

    @Test func localFailureFailsOverWithinTheRequest() {
        let runtime = Self.twoNodes.initialRuntime()
        var local = RequestMemberStates()
        local.markFailed(0)
        #expect(Self.choose(Self.twoNodes, runtime, ids: ["ABC.was1"], local: local)?.member == 1)
    }

    @Test func stickySessionForceRefusesToFailOver() {
        let balancer = Self.balancer([.init(name: "was1"), .init(name: "was2")], force: true)
        var runtime = balancer.initialRuntime()
        runtime[0].state = .error
        #expect(Self.choose(balancer, runtime, ids: ["ABC.was1"]) == nil)
        #expect(Self.choose(balancer, runtime, ids: nil)?.member == 1)
    }

    @Test func disabledMembersKeepTheirStickySessionsButTakeNoNewOnes() {
        var runtime = Self.twoNodes.initialRuntime()
        runtime[0].activation = .disabled
        #expect(Self.choose(Self.twoNodes, runtime, ids: ["ABC.was1"])?.member == 0)
        var offset = 0
        for _ in 0..<4 {
            #expect(Self.twoNodes.choose(runtime: runtime, request: BalancingRequest(), local: RequestMemberStates(), offset: &offset)?.member == 1)
        }
    }

    @Test func stoppedMembersTakeNothing() {
        var runtime = Self.twoNodes.initialRuntime()
        runtime[0].activation = .stopped
        #expect(Self.choose(Self.twoNodes, runtime, ids: ["ABC.was1"])?.member == 1)
    }

    @Test func redirectNamesTheFailoverMember() {
        let balancer = Self.balancer([.init(name: "a", redirect: "c"), .init(name: "b"), .init(name: "c", activation: .disabled)])
        var runtime = balancer.initialRuntime()
        runtime[0].state = .error
        let choice = Self.choose(balancer, runtime, ids: ["X.a"])
        #expect(choice?.member == 2)
        #expect(choice?.reason == .redirect(from: 0))
    }

    @Test func domainFallbackPicksAMemberOfTheSameDomain() {
        let balancer = Self.balancer([
            .init(name: "a1", domain: "d1"), .init(name: "a2", domain: "d1"), .init(name: "b1", domain: "d2"),
        ])
        var runtime = balancer.initialRuntime()
        runtime[0].state = .error
        let failedOver = Self.choose(balancer, runtime, ids: ["X.a1"])
        #expect(failedOver?.member == 1)
        // The domain a `.domain` choice stands for is the chosen member's.
        #expect(failedOver?.reason == .domain)
        #expect(failedOver.map { balancer.members[$0.member].domain } == "d1")
        // A route naming only a domain.
        let byDomain = Self.choose(balancer, balancer.initialRuntime(), ids: ["X.d2"])
        #expect(byDomain?.member == 2)
        #expect(byDomain?.reason == .domain)
        #expect(byDomain.map { balancer.members[$0.member].domain } == "d2")
    }

    @Test func singleMemberShortCut() {
        let balancer = Self.balancer([.init(name: "only")])
        var runtime = balancer.initialRuntime()
        #expect(Self.choose(balancer, runtime, ids: nil)?.member == 0)
        runtime[0].state = .error
        #expect(Self.choose(balancer, runtime, ids: nil) == nil)
    }

    @Test func connectErrorPutsAnIdleMemberInErrorAtOnce() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        var local = RequestMemberStates()
        let change = balancer.record(.backendError, cause: .connectRefused, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(change == StateChange(member: 0, from: .idle, to: .error))
        #expect(runtime[0].state == .error)
        #expect(runtime[0].lastCause == .connectRefused)
    }

    /// A reply already on its way when another request found the Tomcat gone does not bring the
    /// member back (it would take the next request only to fail it, and log the error twice);
    /// an answer from an attempt chosen after the error does.
    @Test func anAnswerBegunBeforeTheErrorDoesNotClearIt() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        runtime[0].state = .ok
        runtime[0].busy = 2
        var local = RequestMemberStates()
        let down = balancer.record(
            .backendDown, cause: .connectRefused, member: 0, bytes: 0, runtime: &runtime, local: &local, startedAt: Self.t0 + Milliseconds(5),
            now: Self.t0 + Milliseconds(10))
        #expect(down == StateChange(member: 0, from: .ok, to: .error))
        var other = RequestMemberStates()
        for result in [AttemptResult.success, .clientError, .statusError] {
            let stale = balancer.record(
                result, member: 0, bytes: 0, runtime: &runtime, local: &other, startedAt: Self.t0, now: Self.t0 + Milliseconds(20))
            #expect(stale == nil, "\(result)")
            #expect(runtime[0].state == .error, "\(result)")
        }
        let fresh = balancer.record(
            .success, member: 0, bytes: 0, runtime: &runtime, local: &other, startedAt: Self.t0 + Milliseconds(30), now: Self.t0 + Milliseconds(40))
        #expect(fresh == StateChange(member: 0, from: .error, to: .ok))
    }

    @Test func errorWhileOthersAreBusyStaysLocalUntilEscalation() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        runtime[0].state = .ok
        runtime[0].busy = 3  // other requests in flight, including this one
        var local = RequestMemberStates()
        _ = balancer.record(.backendError, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(runtime[0].state == .ok)
        #expect(local.state(0, shared: runtime[0].state) == .error)
        // error_escalation_time (30 s) later a new failure escalates.
        _ = balancer.record(.backendError, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0 + .seconds(31))
        #expect(runtime[0].state == .error)
    }

    @Test func clientErrorsNeverPenaliseTheMember() {
        var runtime = Self.twoNodes.initialRuntime()
        var local = RequestMemberStates()
        _ = Self.twoNodes.record(.clientError, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(runtime[0].state == .ok)
        #expect(runtime[0].clientErrors == 1)
    }

    @Test func replyTimeoutsToleratedUpToTheLimit() {
        var settings = Balancer.Settings()
        settings.maxReplyTimeouts = 2
        let balancer = Balancer(name: "lb", members: [.init(name: "a"), .init(name: "b")], settings: settings)
        var runtime = balancer.initialRuntime()
        var local = RequestMemberStates()
        for _ in 0..<2 { _ = balancer.record(.replyTimeout, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0) }
        #expect(runtime[0].state != .error)
        _ = balancer.record(.replyTimeout, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(runtime[0].state == .error)
    }

    @Test func failOnStatusFatalAndNonFatal() {
        var runtime = Self.twoNodes.initialRuntime()
        var local = RequestMemberStates()
        _ = Self.twoNodes.record(.statusError, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(runtime[0].state == .ok)
        #expect(local.state(0, shared: .ok) == .error)
        _ = Self.twoNodes.record(.statusFatal, cause: .failOnStatus, member: 1, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(runtime[1].state == .error)
    }

    @Test func recoveryAfterRecoverTimeAtMaintenance() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        var shared = BalancerRuntime()
        #expect(balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0) == nil)  // first call stamps
        var local = RequestMemberStates()
        runtime[1].lbValue = 7
        _ = balancer.record(.backendError, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        // 60 s later: maintenance is due, but recover_time (60 s) has not strictly passed.
        _ = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0 + .seconds(60))
        #expect(runtime[0].state == .error)
        let changes = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0 + .seconds(121))
        #expect(changes?.contains(StateChange(member: 0, from: .error, to: .recovering)) == true)
        #expect(runtime[0].lbValue == runtime.map(\.lbValue).max())
        // The next request probes it.
        var offset = 1
        let choice = balancer.choose(runtime: runtime, request: BalancingRequest(sessionIDs: ["X.was1"]), local: RequestMemberStates(), offset: &offset)
        #expect(choice?.member == 0)
        if let choice { balancer.commit(choice, runtime: &runtime, request: BalancingRequest(), now: Timestamp(milliseconds: 1)) }
        #expect(runtime[0].state == .probing)
    }

    /// A failed health probe restarts the recover_time clock but not the error's own time,
    /// which the status worker shows as error_time_ago.
    @Test func aFailedProbePostponesRecoveryButKeepsTheErrorTime() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        var shared = BalancerRuntime()
        _ = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0)
        var local = RequestMemberStates()
        _ = balancer.record(.backendDown, cause: .connectRefused, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        runtime[0].lastProbeFailure = (Self.t0 + .seconds(100)).milliseconds
        _ = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0 + .seconds(121))
        #expect(runtime[0].state == .error)
        #expect(runtime[0].lastErrorTime == Self.t0.milliseconds)
        _ = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0 + .seconds(181))
        #expect(runtime[0].state == .recovering)
        _ = balancer.record(.success, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0 + .seconds(182))
        #expect(runtime[0].lastProbeFailure == 0 && runtime[0].lastErrorTime == 0)
    }

    /// A member that answers CPING but fails again soon after coming back waits for
    /// recover_time instead of being let back by the next CPONG.
    @Test func aProbeDoesNotCureAMemberThatFailedRightAfterComingBack() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        var local = RequestMemberStates()
        _ = balancer.record(.backendDown, cause: .reset, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        #expect(balancer.probeMayCure(runtime[0]))
        _ = balancer.recordProbeSuccess(member: 0, runtime: &runtime, now: Self.t0 + .seconds(1))
        _ = balancer.record(.backendDown, cause: .reset, member: 0, bytes: 0, runtime: &runtime, local: &local, now: Self.t0 + .seconds(2))
        #expect(!balancer.probeMayCure(runtime[0]))
        _ = balancer.record(.backendDown, cause: .reset, member: 1, bytes: 0, runtime: &runtime, local: &local, now: Self.t0)
        _ = balancer.recordProbeSuccess(member: 1, runtime: &runtime, now: Self.t0 + .seconds(1))
        _ = balancer.record(.backendDown, cause: .reset, member: 1, bytes: 0, runtime: &runtime, local: &local, now: Self.t0 + .seconds(62))
        #expect(balancer.probeMayCure(runtime[1]))
        _ = balancer.record(.statusFatal, cause: .failOnStatus, member: 1, bytes: 0, runtime: &runtime, local: &local, now: Self.t0 + .seconds(200))
        #expect(!balancer.probeMayCure(runtime[1]))
    }

    @Test func forcedRecoveryWhenEveryMemberIsInError() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        runtime[0].state = .error
        runtime[1].state = .error
        #expect(Self.choose(balancer, runtime, ids: nil) == nil)
        var local = RequestMemberStates()
        #expect(balancer.forceRecovery(runtime: &runtime, local: &local) == 2)
        #expect(Self.choose(balancer, runtime, ids: nil, local: local) != nil)
    }

    @Test func probeSuccessBringsAMemberBackAtTheCurrentMaximum() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        runtime[0].state = .error
        runtime[1].lbValue = 42
        let change = balancer.recordProbeSuccess(member: 0, runtime: &runtime, now: Self.t0)
        #expect(change == StateChange(member: 0, from: .error, to: .ok))
        #expect(runtime[0].lbValue == 42)
    }

    @Test func probeSuccessOnABusyMemberOnlyEndsBusy() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        runtime[0].state = .busy
        runtime[0].replyTimeouts = 2
        runtime[0].firstErrorTime = 5
        #expect(balancer.recordProbeSuccess(member: 0, runtime: &runtime, now: Self.t0) == nil)
        #expect(runtime[0].state == .ok)
        #expect(runtime[0].replyTimeouts == 2)
        #expect(runtime[0].firstErrorTime == 5)
    }

    @Test func decayHalvesPerElapsedInterval() {
        let balancer = Self.twoNodes
        var runtime = balancer.initialRuntime()
        var shared = BalancerRuntime()
        _ = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0)
        runtime[0].lbValue = 64
        runtime[1].lbValue = 8
        _ = balancer.maintainIfDue(runtime: &runtime, shared: &shared, now: Self.t0 + .seconds(120))
        #expect(runtime[0].lbValue == 16)
        #expect(runtime[1].lbValue == 2)
    }
}

extension MemberRuntime {
    var lastCause: FailureCause? { FailureCause(rawValue: lastCauseRaw) }
}
