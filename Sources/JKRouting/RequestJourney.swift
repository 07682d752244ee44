import JKBalancer
import JKCore

/// One request's journey over the members of an lb worker, as a value: which member to try,
/// when to fail over, when a new round starts, when to wait, when to force recovery and when
/// to give up with a 503 (mod_jk's lb `service` loop, docs/modjk-behaviour.md §4).
///
/// The journey makes no call itself. The host (the lb service in `SwiftJK`) executes each
/// `Action` — a choice under the shared-memory lock, an attempt on a member, a sleep — and
/// answers with the `Event` it produced; `next(_:)` returns the following action. Every
/// failover path can therefore be driven in a unit test with a scripted host.
///
///     start ─▶ choose ─▶ attempt(m) ─▶ answer(m)                      (served, or not retryable)
///                 │            └────▶ failOver(m) ─▶ choose …         (retryable)
///                 ├─ nothing ─▶ forceRecovery (once) ─▶ choose | unavailable
///                 └─ stale settings ─▶ choose (at most `pullLimit` times)
///     after `perRound` failovers: checkNextRound ─▶ choose | wait ─▶ choose | unavailable
///
/// Bounded: every failover counts against `rounds × perRound`, recovery is forced once,
/// settings are pulled at most `pullLimit` times, and `stepLimit` caps the whole journey.
public struct RequestJourney: Sendable {
    /// The lb settings the journey depends on; `members` and `retries` follow settings pulled
    /// from shared memory while the request runs.
    public struct Limits: Sendable, Equatable {
        public var members: Int
        /// `retries`: how many rounds.
        public var retries: Int
        /// `lb_retries`: failovers per round (at most the member count).
        public var lbRetries: Int
        /// `retry_interval`: the wait before a round that has only busy members.
        public var retryInterval: Milliseconds

        public init(members: Int, retries: Int, lbRetries: Int, retryInterval: Milliseconds) {
            self.members = members
            self.retries = retries
            self.lbRetries = lbRetries
            self.retryInterval = retryInterval
        }

        public var perRound: Int { min(members, max(1, lbRetries)) }
    }

    /// What the request is, for the replay rules.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var hasBody: Bool
        /// With `sticky_session_force`: the route of the request's session (no failover for it).
        public var forcedRoute: String?

        public init(method: String, hasBody: Bool, forcedRoute: String? = nil) {
            self.method = method
            self.hasBody = hasBody
            self.forcedRoute = forcedRoute
        }
    }

    /// What the host must do next.
    public enum Action: Sendable, Equatable {
        /// Under the shared lock: reclaim busy members, run maintenance, choose a member with
        /// `memberStates` and commit the choice. Answer `.chosen`, or `.settingsChanged` when the
        /// shared settings moved on and `mayPull` is true.
        case choose(mayPull: Bool)
        /// Would another round find a member not tried yet? Answer `.nextRoundChecked`.
        case checkNextRound
        /// Sleep this long, then answer `.waited`.
        case wait(Milliseconds)
        /// Put every member in error into forced recovery. Answer `.forced`.
        case forceRecovery
        /// Run the request on this member. Answer `.attempted`.
        case attempt(member: Int)
        /// The attempt failed and will be repeated elsewhere: discard any response started,
        /// count the failover, log it at `log` (nil: not at all). Answer `.failedOver`.
        case failOver(member: Int, resetResponse: Bool, log: FailoverLog?)
        /// Done: the last attempt's result is the answer.
        case answer(member: Int)
        /// Done: no member serves this request.
        case unavailable(Unavailable)
    }

    /// At which level a failover is worth a line.
    public enum FailoverLog: Sendable, Equatable {
        case info
        /// The member was already known in error (tried again by forced recovery).
        case debug
    }

    /// What the host observed.
    public enum Event: Sendable, Equatable {
        case start
        case chosen(member: Int?)
        /// The host pulled newer settings; the journey continues with these limits.
        case settingsChanged(members: Int, retries: Int, lbRetries: Int)
        case nextRoundChecked(untriedUsable: Bool)
        case waited
        case forced(count: Int)
        case attempted(member: Int, AttemptReport)
        /// The chosen member has no worker to run on (a configuration the checker rejects).
        case memberMissing(member: Int)
        case failedOver
    }

    /// How an attempt ended, in the terms of the replay rules.
    public struct AttemptReport: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// A response for the client: served, the client failed, an error page, too large.
            case final
            /// The backend failed.
            case backendFailed
            /// The status is listed in `fail_on_status`.
            case rejectedStatus
        }

        public var kind: Kind
        /// No free connection in the member's pool.
        public var poolExhausted = false
        public var requestSent = false
        public var responseStarted = false
        /// A response started but never left httpd (under its write buffer, not committed).
        public var responseForgettable = false
        /// The request body can still be sent again.
        public var bodyReplayable = true
        /// The member's `recovery_options`.
        public var recoveryOptions = 0
        /// The member was in error before this attempt.
        public var memberWasInError = false

        public init(
            kind: Kind, poolExhausted: Bool = false, requestSent: Bool = false, responseStarted: Bool = false,
            responseForgettable: Bool = false, bodyReplayable: Bool = true, recoveryOptions: Int = 0,
            memberWasInError: Bool = false
        ) {
            self.kind = kind
            self.poolExhausted = poolExhausted
            self.requestSent = requestSent
            self.responseStarted = responseStarted
            self.responseForgettable = responseForgettable
            self.bodyReplayable = bodyReplayable
            self.recoveryOptions = recoveryOptions
            self.memberWasInError = memberWasInError
        }
    }

    /// Why no member serves the request, and who failed on the way (each member once, in order).
    public struct Unavailable: Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// `sticky_session_force` and the session's member cannot serve.
            case stickyForced(route: String)
            /// The last member tried answered a `fail_on_status` code.
            case allRejected
            /// Every member tried failed, or none was usable.
            case exhausted
        }

        public var reason: Reason
        public var failedOver: [Int]

        public init(reason: Reason, failedOver: [Int]) {
            self.reason = reason
            self.failedOver = failedOver
        }
    }

    public static let pullLimit = 3
    public static let stepLimit = 10_000

    public private(set) var limits: Limits
    public let request: Request
    /// What this request learned about members (failed, busy, forced); the host passes it to
    /// the balancer's choose/record/forceRecovery.
    public var memberStates = RequestMemberStates()
    /// The members this request failed over from, in order (a member forced back may repeat).
    public private(set) var failedOver: [Int] = []
    public private(set) var round = 0
    public private(set) var attemptsInRound = 0
    public private(set) var pulls = 0
    public private(set) var forcedOnce = false
    public private(set) var lastRejected = false
    public private(set) var steps = 0
    public private(set) var finished = false

    public init(limits: Limits, request: Request) {
        self.limits = limits
        self.request = request
    }

    public mutating func next(_ event: Event) -> Action {
        steps += 1
        if finished || steps > Self.stepLimit { return unavailable() }
        switch event {
        case .start, .waited:
            return choose()
        case .settingsChanged(let members, let retries, let lbRetries):
            pulls += 1
            limits.members = members
            limits.retries = retries
            limits.lbRetries = lbRetries
            return advance()
        case .chosen(let member?):
            return .attempt(member: member)
        case .chosen(nil):
            guard !forcedOnce else { return unavailable() }
            forcedOnce = true
            return .forceRecovery
        case .forced(let count):
            return count > 0 ? choose() : unavailable()
        case .memberMissing:
            return unavailable()
        case .attempted(let member, let report):
            return attempted(member, report)
        case .failedOver:
            attemptsInRound += 1
            return advance()
        case .nextRoundChecked(let untriedUsable):
            // Another round: at once when a member not tried yet is usable; after
            // retry_interval when only busy members are left; not at all when every other
            // member is in error.
            guard untriedUsable || memberStates.busy != 0 else { return unavailable() }
            memberStates.busy = 0
            attemptsInRound = 0
            return untriedUsable ? choose() : .wait(limits.retryInterval)
        }
    }

    private func choose() -> Action { .choose(mayPull: pulls < Self.pullLimit) }

    /// The next choice in this round, or the end of the round.
    private mutating func advance() -> Action {
        guard attemptsInRound >= limits.perRound else { return choose() }
        round += 1
        return round >= limits.retries ? unavailable() : .checkNextRound
    }

    private mutating func attempted(_ member: Int, _ report: AttemptReport) -> Action {
        lastRejected = report.kind == .rejectedStatus
        guard report.kind != .final, Self.mayFailOver(report, request: request) else {
            finished = true
            return .answer(member: member)
        }
        failedOver.append(member)
        let log: FailoverLog? = report.poolExhausted ? nil : report.memberWasInError ? .debug : .info
        return .failOver(member: member, resetResponse: report.responseStarted, log: log)
    }

    /// The replay rules: a member out of connections is always left for another; otherwise
    /// `RetryPolicy`, where a response that never left httpd counts as not started (unless
    /// recovery_options 2).
    public static func mayFailOver(_ report: AttemptReport, request: Request) -> Bool {
        if report.poolExhausted { return true }
        let forgettable = report.responseStarted && report.responseForgettable
            && report.recoveryOptions & RetryPolicy.abortIfResponseStarted == 0
        // A fail_on_status answer: the operator declared that status a refusal by the member
        // ("not deployed", "unavailable"), so any method whose body can be sent again goes to
        // another member, as in mod_jk (recovery_options 1 still forbids it).
        if report.kind == .rejectedStatus && report.bodyReplayable && (!report.responseStarted || forgettable)
            && report.recoveryOptions & RetryPolicy.abortIfRequestSent == 0
        {
            return true
        }
        return RetryPolicy.mayRetry(
            method: request.method, hasBody: request.hasBody, bodyReplayable: report.bodyReplayable,
            requestSent: report.requestSent, responseStarted: report.responseStarted && !forgettable,
            recoveryOptions: report.recoveryOptions, headersArrived: report.responseStarted)
    }

    private mutating func unavailable() -> Action {
        finished = true
        var once: [Int] = []
        for member in failedOver where !once.contains(member) { once.append(member) }
        let reason: Unavailable.Reason
        if let route = request.forcedRoute {
            reason = .stickyForced(route: route)
        } else if lastRejected {
            reason = .allRejected
        } else {
            reason = .exhausted
        }
        return .unavailable(Unavailable(reason: reason, failedOver: once))
    }
}
