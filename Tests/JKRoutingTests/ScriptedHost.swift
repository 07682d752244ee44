import JKBalancer
import JKCore
import JKRouting

/// A host that answers a journey's actions from a script, the way the lb service would from
/// shared memory and real attempts, and records what it was asked to do.
struct ScriptedHost {
    /// Each `.choose` takes the next entry (nil: nothing usable); an empty script chooses nothing.
    var choices: [Int?] = []
    /// Each attempt on a member takes that member's next report; none left: served.
    var reports: [Int: [RequestJourney.AttemptReport]] = [:]
    /// Answers to `.checkNextRound`, in order (none left: false).
    var untried: [Bool] = []
    /// Answers to `.forceRecovery`, in order (none left: 0).
    var forced: [Int] = []
    /// How many `.choose` actions find the shared settings changed (when pulling is allowed).
    var staleChooses = 0
    /// The settings a pull brings: members, retries, lb_retries.
    var pulled = (members: 2, retries: 2, lbRetries: 1)
    /// Members marked busy by the scripted choose (as the pool running out would).
    var busyOnChoose: [Int] = []

    private(set) var actions: [RequestJourney.Action] = []

    static func served() -> RequestJourney.AttemptReport { .init(kind: .final, requestSent: true, responseStarted: true) }

    /// Runs the journey to its end (bounded) and returns the final action.
    mutating func drive(_ journey: inout RequestJourney) -> RequestJourney.Action {
        var action = journey.next(.start)
        for _ in 0..<1_000 {
            actions.append(action)
            let event: RequestJourney.Event
            switch action {
            case .answer, .unavailable:
                return action
            case .choose(let mayPull):
                if mayPull && staleChooses > 0 {
                    staleChooses -= 1
                    event = .settingsChanged(members: pulled.members, retries: pulled.retries, lbRetries: pulled.lbRetries)
                } else {
                    for member in busyOnChoose { journey.memberStates.markBusy(member) }
                    event = .chosen(member: choices.isEmpty ? nil : choices.removeFirst())
                }
            case .checkNextRound:
                event = .nextRoundChecked(untriedUsable: untried.isEmpty ? false : untried.removeFirst())
            case .wait:
                event = .waited
            case .forceRecovery:
                event = .forced(count: forced.isEmpty ? 0 : forced.removeFirst())
            case .attempt(let member):
                var queue = reports[member] ?? []
                let report = queue.isEmpty ? Self.served() : queue.removeFirst()
                reports[member] = queue
                event = .attempted(member: member, report)
            case .failOver:
                event = .failedOver
            }
            action = journey.next(event)
        }
        return action
    }

    var attempted: [Int] {
        actions.compactMap { if case .attempt(let member) = $0 { member } else { nil } }
    }
}
