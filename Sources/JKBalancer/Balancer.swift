import JKCore

/// One lb worker's static configuration and mod_jk's balancing rules over its members' shared
/// runtime records (`jk_lb_worker.c`, docs/modjk-behaviour.md §4).
///
/// The records are passed in (`inout` for the calls that change them), so the same code runs on
/// an array in tests and on the shared-memory mapping in httpd. Nothing here locks, logs or
/// reads the clock: the caller holds the lock and passes `now`.
public struct Balancer: Sendable {
    public struct Member: Sendable, Equatable {
        public var name: String
        /// The sticky id, Tomcat's jvmRoute (default: the member's name).
        public var route: String
        /// Replication group; "" for none.
        public var domain: String
        /// Route of the preferred failover member; "" for none.
        public var redirect: String
        public var distance: Int
        public var lbFactor: Int
        public var activation: Activation
        /// `busy_limit`: with this many requests in flight (across children) the member is
        /// treated as busy; 0 = no limit.
        public var busyLimit: Int
        /// `slow_start`: after coming back from error or Stopped, the member's share of new
        /// requests ramps from nothing to its lbfactor over this time; 0 = at once.
        public var slowStart: Milliseconds
        /// `drain_timeout`: a Disabled member that served no sticky request for this long
        /// becomes Stopped by itself; 0 = never.
        public var drainTimeout: Milliseconds

        public init(
            name: String, route: String? = nil, domain: String = "", redirect: String = "", distance: Int = 0,
            lbFactor: Int = 1, activation: Activation = .active, busyLimit: Int = 0, slowStart: Milliseconds = .zero,
            drainTimeout: Milliseconds = .zero
        ) {
            self.busyLimit = max(0, busyLimit)
            self.slowStart = slowStart
            self.drainTimeout = drainTimeout
            self.name = name
            self.route = route ?? name
            self.domain = domain
            self.redirect = redirect
            self.distance = distance
            self.lbFactor = max(1, lbFactor)
            self.activation = activation
        }
    }

    public struct Settings: Sendable, Equatable {
        public var method: LoadBalancingMethodKind = .requests
        public var stickySession = true
        public var stickySessionForce = false
        /// `recover_time`.
        public var recoverTime = Milliseconds.seconds(60)
        /// `error_escalation_time`.
        public var errorEscalationTime = Milliseconds.seconds(30)
        public var maxReplyTimeouts = 0
        /// `worker.maintain`: the global maintenance period.
        public var maintainInterval = Milliseconds.seconds(60)
        /// `retries`: rounds over the members.
        public var retries = 2
        /// `lock=P`: shown and editable for compatibility; SwiftJK always locks the records.
        public var pessimisticLock = false
        public init() {}

        /// These settings as the shared record holds them.
        public var shared: SharedSettings {
            var record = SharedSettings()
            record.retries = Int32(clamping: retries)
            record.maxReplyTimeouts = Int32(clamping: maxReplyTimeouts)
            record.recoverTime = recoverTime.value
            record.errorEscalationTime = errorEscalationTime.value
            record.stickySession = stickySession ? 1 : 0
            record.stickySessionForce = stickySessionForce ? 1 : 0
            record.methodRaw = UInt8(LoadBalancingMethodKind.allCases.firstIndex(of: method) ?? 0)
            record.pessimisticLock = pessimisticLock ? 1 : 0
            return record
        }

        /// These settings with the shared record's values.
        public func applying(_ record: SharedSettings) -> Settings {
            var settings = self
            settings.retries = max(1, Int(record.retries))
            settings.maxReplyTimeouts = max(0, Int(record.maxReplyTimeouts))
            settings.recoverTime = Milliseconds(max(0, record.recoverTime))
            settings.errorEscalationTime = Milliseconds(max(0, record.errorEscalationTime))
            settings.stickySession = record.stickySession != 0
            settings.stickySessionForce = record.stickySessionForce != 0
            let methods = LoadBalancingMethodKind.allCases
            settings.method = Int(record.methodRaw) < methods.count ? methods[Int(record.methodRaw)] : .requests
            settings.pessimisticLock = record.pessimisticLock != 0
            return settings
        }
    }

    /// The configuration, behind one reference: every request copies its lb's balancer, and a
    /// copy then costs one reference count instead of one per array, string and the method
    /// (each an atomic operation on memory that all of httpd's threads share).
    private final class Storage: Sendable {
        let name: String
        let members: [Member]
        let settings: Settings
        let method: any LoadBalancingMethod

        init(name: String, members: [Member], settings: Settings) {
            self.name = name
            self.members = members
            self.settings = settings
            self.method = settings.method.method
        }
    }

    private let storage: Storage
    public var name: String { storage.name }
    public var members: [Member] { storage.members }
    public var settings: Settings { storage.settings }
    public var method: any LoadBalancingMethod { storage.method }
    /// The most members one lb may have (per-request bit sets are 64 bits wide).
    public static let maxMembers = 64

    public init(name: String, members: [Member], settings: Settings) {
        storage = Storage(name: name, members: Array(members.prefix(Self.maxMembers)), settings: settings)
    }

    /// `lb_mult = lcm(all lbfactors) / lbfactor` (`update_mult`).
    public static func multipliers(for factors: [Int]) -> [UInt64] {
        var lcm: UInt64 = 1
        for factor in factors {
            let f = UInt64(max(1, factor))
            let (product, overflow) = (lcm / gcd(lcm, f)).multipliedReportingOverflow(by: f)
            lcm = overflow ? lcm : product
        }
        return factors.map { lcm / UInt64(max(1, $0)) }
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// Fresh runtime records for this configuration.
    public func initialRuntime() -> [MemberRuntime] {
        let mults = Self.multipliers(for: members.map(\.lbFactor))
        return members.indices.map { index in
            var runtime = MemberRuntime()
            runtime.activation = members[index].activation
            runtime.lbFactor = UInt32(clamping: members[index].lbFactor)
            runtime.lbMult = mults[index]
            runtime.distance = Int32(clamping: members[index].distance)
            return runtime
        }
    }

    /// The members' text settings as the shared records hold them.
    public func initialLabels() -> [MemberLabels] {
        members.map { MemberLabels(route: $0.route, domain: $0.domain, redirect: $0.redirect) }
    }

    /// This balancer with the runtime-editable settings of the shared records (status worker
    /// changes made in any child): route, domain, redirect, distance, lbfactor, activation and
    /// the lb settings. Allocates: call it only when the shared sequence moved.
    public func applying(settings record: SharedSettings, runtime: [MemberRuntime], labels: [MemberLabels]) -> Balancer {
        var updated = members
        for index in updated.indices where index < runtime.count && index < labels.count {
            updated[index].route = labels[index].route.string
            updated[index].domain = labels[index].domain.string
            updated[index].redirect = labels[index].redirect.string
            updated[index].distance = Int(runtime[index].distance)
            updated[index].lbFactor = max(1, Int(runtime[index].lbFactor))
            updated[index].activation = runtime[index].activation
        }
        return Balancer(name: name, members: updated, settings: settings.applying(record))
    }

    /// This balancer with the members' busy_limit replaced (an operator's change to the
    /// members' ajp13 settings).
    public func withBusyLimits(_ limits: [Int]) -> Balancer {
        var updated = members
        for index in updated.indices where index < limits.count { updated[index].busyLimit = max(0, limits[index]) }
        return Balancer(name: name, members: updated, settings: settings)
    }

    /// The member whose route is exactly `route` (byte comparison, as mod_jk's strcmp).
    public func index(ofRoute route: Substring) -> Int? {
        UTF8Bytes.with(route) { wanted in
            members.firstIndex { member in
                var own = member.route
                return own.withUTF8 { $0.elementsEqual(wanted) }
            }
        }
    }

    public func index(ofRoute route: String) -> Int? { index(ofRoute: route[...]) }
}

/// What one request has learned about members so far (mod_jk's per-endpoint `states[]`):
/// members that failed for this request, were busy, or were force-recovered.
public struct RequestMemberStates: Sendable, Equatable {
    public var failed: UInt64 = 0
    public var busy: UInt64 = 0
    public var forced: UInt64 = 0

    public init() {}

    public func state(_ index: Int, shared: MemberState) -> MemberState {
        let bit = UInt64(1) << UInt64(index & 63)
        if failed & bit != 0 { return .error }
        if busy & bit != 0 { return .busy }
        if forced & bit != 0 { return .forcedRecovery }
        return shared
    }

    public mutating func markFailed(_ index: Int) { failed |= UInt64(1) << UInt64(index & 63) }
    public mutating func markBusy(_ index: Int) { busy |= UInt64(1) << UInt64(index & 63) }
}

/// The request facts the choice depends on.
public struct BalancingRequest: Sendable {
    /// Candidate session ids (nil: none, or stickiness off for this request).
    public var sessionIDs: [Substring]?
    public var stateless: Bool
    /// Per-mount activation overrides (`active=`/`disabled=`/`stopped=`), indexed like members.
    public var activationOverrides: [Activation?]?

    public init(sessionIDs: [Substring]? = nil, stateless: Bool = false, activationOverrides: [Activation?]? = nil) {
        self.sessionIDs = sessionIDs
        self.stateless = stateless
        self.activationOverrides = activationOverrides
    }

    public var hasSession: Bool { sessionIDs?.isEmpty == false }
}

/// The member chosen for one attempt, and why.
///
/// Plain integers only, so a choice (and an optional one) is copied as bytes: with a `String`
/// domain and a `Substring` route in it, every copy of the request's choice went through the
/// runtime's generic value witnesses, about 1,500 instructions a request (callgrind,
/// docs/architecture.md §5.1). The texts it stands for are found again from the request and
/// the members.
public struct Choice: Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The session's route named this member.
        case sticky
        /// The session's member is unusable; its `redirect` named this one.
        case redirect(from: Int)
        /// The session's route (or the failed member's domain) named a domain: the chosen
        /// member's own `domain`. The best member there.
        case domain
        /// No usable session member: balanced by lb_value.
        case balanced
        /// Nothing usable: the first member with a `redirect` pointed here.
        case failoverRedirect
    }

    public var member: Int
    public var reason: Reason
    /// Which of the request's session ids gave the route the request asked for, if any (for
    /// logs and mismatch detection): `requestedRoute(in:)` is its text.
    public var requestedSession: Int?

    public init(member: Int, reason: Reason, requestedSession: Int? = nil) {
        self.member = member
        self.reason = reason
        self.requestedSession = requestedSession
    }

    /// The session route the request asked for: the route of session id `requestedSession`.
    public func requestedRoute(in request: BalancingRequest) -> Substring? {
        guard let index = requestedSession, let ids = request.sessionIDs, index >= 0, index < ids.count else { return nil }
        return SessionIdentifiers.route(of: ids[index])
    }

    public var isSticky: Bool { reason == .sticky }
}
