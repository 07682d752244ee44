import JKBalancer
import JKCore
import JKRouting
import Testing

/// Every path of an lb request's journey — failover, rounds, busy members, forced recovery,
/// settings pulled mid-request, the replay rules and the 503 — driven by a scripted host.
struct RequestJourneyTests {
    typealias Report = RequestJourney.AttemptReport

    static func journey(
        members: Int = 2, retries: Int = 2, lbRetries: Int = 2, method: String = "GET", hasBody: Bool = false,
        forcedRoute: String? = nil
    ) -> RequestJourney {
        RequestJourney(
            limits: .init(members: members, retries: retries, lbRetries: lbRetries, retryInterval: Milliseconds(100)),
            request: .init(method: method, hasBody: hasBody, forcedRoute: forcedRoute))
    }

    static let refused = Report(kind: .backendFailed)
    static let timedOutAfterSending = Report(kind: .backendFailed, requestSent: true)

    static func unavailable(_ reason: RequestJourney.Unavailable.Reason, _ failedOver: [Int]) -> RequestJourney.Action {
        .unavailable(.init(reason: reason, failedOver: failedOver))
    }

    @Test func servedByTheChosenMember() {
        var journey = Self.journey()
        var host = ScriptedHost(choices: [1])
        #expect(host.drive(&journey) == .answer(member: 1))
        #expect(host.actions == [.choose(mayPull: true), .attempt(member: 1), .answer(member: 1)])
    }

    @Test func aRefusedMemberFailsOverToTheOther() {
        var journey = Self.journey()
        var host = ScriptedHost(choices: [0, 1], reports: [0: [Self.refused]])
        #expect(host.drive(&journey) == .answer(member: 1))
        #expect(host.actions.contains(.failOver(member: 0, resetResponse: false, log: .info)))
        #expect(journey.failedOver == [0])
    }

    @Test func everyMemberFailsThenNoRoundIsLeft() {
        var journey = Self.journey(retries: 1)
        var host = ScriptedHost(choices: [0, 1], reports: [0: [Self.refused], 1: [Self.refused]])
        #expect(host.drive(&journey) == Self.unavailable(.exhausted, [0, 1]))
        #expect(!host.actions.contains(.checkNextRound))
    }

    @Test func aSecondRoundStartsAtOnceWhenAnUntriedMemberIsUsable() {
        var journey = Self.journey(members: 3, retries: 2, lbRetries: 1)
        var host = ScriptedHost(choices: [0, 2], reports: [0: [Self.refused]], untried: [true])
        #expect(host.drive(&journey) == .answer(member: 2))
        #expect(host.actions.contains(.checkNextRound))
        #expect(!host.actions.contains { if case .wait = $0 { true } else { false } })
        #expect(journey.round == 1)
    }

    @Test func aRoundWithEveryOtherMemberInErrorEndsTheJourney() {
        var journey = Self.journey(members: 3, retries: 3, lbRetries: 1)
        var host = ScriptedHost(choices: [0], reports: [0: [Self.refused]], untried: [false])
        #expect(host.drive(&journey) == Self.unavailable(.exhausted, [0]))
    }

    @Test func onlyBusyMembersLeftWaitsRetryIntervalThenTriesAgain() {
        var journey = Self.journey(members: 2, retries: 2, lbRetries: 1)
        var host = ScriptedHost(choices: [0, 1], reports: [0: [Self.refused]], untried: [false], busyOnChoose: [1])
        #expect(host.drive(&journey) == .answer(member: 1))
        #expect(host.actions.contains(.wait(Milliseconds(100))))
    }

    @Test func roundsAreBoundedByRetries() {
        var journey = Self.journey(members: 2, retries: 3, lbRetries: 1)
        var host = ScriptedHost(
            choices: [0, 1, 0, 1], reports: [0: [Self.refused, Self.refused], 1: [Self.refused, Self.refused]],
            untried: [true, true, true])
        #expect(host.drive(&journey) == Self.unavailable(.exhausted, [0, 1]))
        #expect(host.attempted == [0, 1, 0])
        #expect(journey.round == 3)
    }

    @Test func lbRetriesAboveTheMemberCountIsOneRoundOfEachMember() {
        #expect(RequestJourney.Limits(members: 2, retries: 2, lbRetries: 9, retryInterval: Milliseconds(0)).perRound == 2)
        #expect(RequestJourney.Limits(members: 4, retries: 2, lbRetries: 0, retryInterval: Milliseconds(0)).perRound == 1)
    }

    @Test func nothingUsableForcesRecoveryOnce() {
        var journey = Self.journey()
        var host = ScriptedHost(choices: [nil, 0], forced: [2])
        #expect(host.drive(&journey) == .answer(member: 0))
        #expect(host.actions.filter { $0 == .forceRecovery }.count == 1)
    }

    @Test func nothingToForceIsA503() {
        var journey = Self.journey()
        var host = ScriptedHost(choices: [nil], forced: [0])
        #expect(host.drive(&journey) == Self.unavailable(.exhausted, []))
    }

    @Test func recoveryIsForcedOnlyOnce() {
        var journey = Self.journey()
        var host = ScriptedHost(choices: [nil, 0, nil], reports: [0: [Self.refused]], forced: [1, 1])
        #expect(host.drive(&journey) == Self.unavailable(.exhausted, [0]))
        #expect(host.actions.filter { $0 == .forceRecovery }.count == 1)
    }

    @Test func aForcedMemberThatFailsAgainIsLoggedAtDebug() {
        var journey = Self.journey()
        var failing = Self.refused
        failing.memberWasInError = true
        var host = ScriptedHost(choices: [0, 1], reports: [0: [failing]])
        _ = host.drive(&journey)
        #expect(host.actions.contains(.failOver(member: 0, resetResponse: false, log: .debug)))
    }

    @Test func anExhaustedPoolFailsOverSilentlyEvenForAPost() {
        var journey = Self.journey(method: "POST", hasBody: true)
        var host = ScriptedHost(choices: [0, 1], reports: [0: [Report(kind: .backendFailed, poolExhausted: true)]])
        #expect(host.drive(&journey) == .answer(member: 1))
        #expect(host.actions.contains(.failOver(member: 0, resetResponse: false, log: nil)))
    }

    @Test func settingsChangedMidRequestArePulledAtMostThreeTimes() {
        var journey = Self.journey()
        var host = ScriptedHost(choices: [0], staleChooses: 5)
        #expect(host.drive(&journey) == .answer(member: 0))
        #expect(journey.pulls == RequestJourney.pullLimit)
        #expect(host.actions.prefix(4) == [.choose(mayPull: true), .choose(mayPull: true), .choose(mayPull: true), .choose(mayPull: false)])
    }

    @Test func pulledSettingsThatShrinkTheRoundEndItAtOnce() {
        var journey = Self.journey(members: 3, retries: 1, lbRetries: 3)
        // One failover done, then an operator leaves one member and one retry: the round is over.
        #expect(journey.next(.start) == .choose(mayPull: true))
        #expect(journey.next(.chosen(member: 0)) == .attempt(member: 0))
        #expect(journey.next(.attempted(member: 0, Self.refused)) == .failOver(member: 0, resetResponse: false, log: .info))
        #expect(journey.next(.failedOver) == .choose(mayPull: true))
        #expect(journey.next(.settingsChanged(members: 1, retries: 1, lbRetries: 1)) == Self.unavailable(.exhausted, [0]))
    }

    @Test func aMemberWithoutAWorkerIsA503() {
        var journey = Self.journey()
        #expect(journey.next(.start) == .choose(mayPull: true))
        #expect(journey.next(.chosen(member: 0)) == .attempt(member: 0))
        #expect(journey.next(.memberMissing(member: 0)) == Self.unavailable(.exhausted, []))
    }

    @Test func stickySessionForceNamesTheRoute() {
        var journey = Self.journey(forcedRoute: "was1")
        var host = ScriptedHost(choices: [0], reports: [0: [Self.refused]], untried: [false])
        #expect(host.drive(&journey) == Self.unavailable(.stickyForced(route: "was1"), [0]))
    }

    @Test func everyMemberRejectingTheStatusSaysSo() {
        var journey = Self.journey(retries: 1)
        let rejected = Report(kind: .rejectedStatus, requestSent: true, responseStarted: true, responseForgettable: true)
        var host = ScriptedHost(choices: [0, 1], reports: [0: [rejected], 1: [rejected]])
        #expect(host.drive(&journey) == Self.unavailable(.allRejected, [0, 1]))
        #expect(host.actions.contains(.failOver(member: 0, resetResponse: true, log: .info)))
    }

    @Test func aMemberFailedOverTwiceIsNamedOnce() {
        var journey = Self.journey(members: 2, retries: 3, lbRetries: 1)
        var host = ScriptedHost(choices: [0, 0], reports: [0: [Self.refused, Self.refused]], untried: [true])
        #expect(host.drive(&journey) == Self.unavailable(.exhausted, [0]))
        #expect(journey.failedOver == [0, 0])
    }

    @Test func aFinishedJourneyStaysFinished() {
        var journey = Self.journey()
        #expect(journey.next(.start) == .choose(mayPull: true))
        #expect(journey.next(.chosen(member: 0)) == .attempt(member: 0))
        #expect(journey.next(.attempted(member: 0, ScriptedHost.served())) == .answer(member: 0))
        #expect(journey.next(.failedOver) == Self.unavailable(.exhausted, []))
    }

    // MARK: The replay rules, one row per case.

    struct ReplayRow: CustomTestStringConvertible, Sendable {
        var name: String
        var method = "GET"
        var hasBody = false
        var report: Report
        var failsOver: Bool
        var testDescription: String { name }
    }

    static let replayRows: [ReplayRow] = [
        .init(name: "nothing sent: any method", method: "POST", hasBody: true, report: refused, failsOver: true),
        .init(name: "GET sent, no reply", report: timedOutAfterSending, failsOver: true),
        .init(name: "POST sent, no reply", method: "POST", hasBody: true, report: timedOutAfterSending, failsOver: false),
        .init(name: "POST without body sent", method: "POST", report: timedOutAfterSending, failsOver: false),
        .init(name: "PUT without body sent", method: "PUT", report: timedOutAfterSending, failsOver: true),
        .init(name: "body no longer replayable", method: "PUT", hasBody: true,
              report: Report(kind: .backendFailed, bodyReplayable: false), failsOver: false),
        .init(name: "response committed to the client",
              report: Report(kind: .backendFailed, requestSent: true, responseStarted: true), failsOver: false),
        .init(name: "response started but still in httpd",
              report: Report(kind: .backendFailed, requestSent: true, responseStarted: true, responseForgettable: true), failsOver: true),
        .init(name: "recovery_options 2: a started response is never forgotten",
              report: Report(kind: .backendFailed, requestSent: true, responseStarted: true, responseForgettable: true, recoveryOptions: 2),
              failsOver: false),
        .init(name: "recovery_options 1: GET sent is not repeated",
              report: Report(kind: .backendFailed, requestSent: true, recoveryOptions: 1), failsOver: false),
        .init(name: "recovery_options 1: a GET whose headers arrived but never left httpd goes elsewhere (mod_jk)",
              report: Report(kind: .backendFailed, requestSent: true, responseStarted: true, responseForgettable: true, recoveryOptions: 1),
              failsOver: true),
        .init(name: "recovery_options 3: the same GET stays (bit 2)",
              report: Report(kind: .backendFailed, requestSent: true, responseStarted: true, responseForgettable: true, recoveryOptions: 3),
              failsOver: false),
        .init(name: "recovery_options 1: a POST whose headers arrived stays (not idempotent)", method: "POST", hasBody: true,
              report: Report(kind: .backendFailed, requestSent: true, responseStarted: true, responseForgettable: true, recoveryOptions: 1),
              failsOver: false),
        .init(name: "recovery_options 17: GET sent is repeated",
              report: Report(kind: .backendFailed, requestSent: true, recoveryOptions: 17), failsOver: true),
        .init(name: "recovery_options 9: HEAD sent is repeated", method: "HEAD",
              report: Report(kind: .backendFailed, requestSent: true, recoveryOptions: 9), failsOver: true),
        .init(name: "pool exhausted: POST with body", method: "POST", hasBody: true,
              report: Report(kind: .backendFailed, poolExhausted: true, bodyReplayable: false), failsOver: true),
        .init(name: "fail_on_status, forgettable", report: Report(kind: .rejectedStatus, requestSent: true, responseStarted: true, responseForgettable: true), failsOver: true),
        .init(name: "fail_on_status: POST whose body is buffered goes to another member (mod_jk)", method: "POST", hasBody: true,
              report: Report(kind: .rejectedStatus, requestSent: true, responseStarted: true, responseForgettable: true), failsOver: true),
        .init(name: "fail_on_status: POST whose body was consumed stays", method: "POST", hasBody: true,
              report: Report(kind: .rejectedStatus, requestSent: true, bodyReplayable: false), failsOver: false),
        .init(name: "fail_on_status: recovery_options 1 keeps a POST", method: "POST", hasBody: true,
              report: Report(kind: .rejectedStatus, requestSent: true, recoveryOptions: 1), failsOver: false),
        .init(name: "served", report: ScriptedHost.served(), failsOver: false),
        .init(name: "client failed", report: Report(kind: .final, requestSent: true), failsOver: false),
    ]

    @Test(arguments: replayRows)
    func replayRules(_ row: ReplayRow) {
        var journey = Self.journey(method: row.method, hasBody: row.hasBody)
        var host = ScriptedHost(choices: [0, 1], reports: [0: [row.report]])
        let end = host.drive(&journey)
        #expect(end == (row.failsOver ? .answer(member: 1) : .answer(member: 0)))
        #expect(host.attempted == (row.failsOver ? [0, 1] : [0]))
    }
}
