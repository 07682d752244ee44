import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPool
import JKSync
import JKStatus
import Synchronization

/// Everything the request path needs to know about one worker, computed once per configuration.
enum WorkerPlan: Sendable {
    case ajp(AJPPlan)
    case lb(LBPlan)
    case status(StatusPlan)

    var name: String {
        switch self {
        case .ajp(let plan): plan.name
        case .lb(let plan): plan.name
        case .status(let plan): plan.name
        }
    }

    var typeName: StaticString {
        switch self {
        case .ajp: "ajp13"
        case .lb: "lb"
        case .status: "status"
        }
    }
}

final class AJPPlan: Sendable {
    let name: String
    let host: String
    let port: Int
    let settings: AJPWorkerSettings
    let effective: EffectiveAJPSettings
    let client: WorkerClient.Settings
    let timeouts: ExchangeTimeouts

    /// "127.0.0.1:8009" as configured (before resolution).
    var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    init(name: String, settings: AJPWorkerSettings, threadsPerChild: Int) {
        self.name = name
        self.host = settings.host
        self.port = settings.port
        self.settings = settings
        let effective = settings.effective(threadsPerChild: threadsPerChild)
        self.effective = effective
        let pingTimeout = effective.pingTimeout
        let connectPing = effective.pingMode.contains(.connect)
            ? (settings.connectTimeout.value > 0 ? settings.connectTimeout : pingTimeout) : .zero
        let prepostPing = effective.pingMode.contains(.prepost)
            ? (settings.prepostTimeout.value > 0 ? settings.prepostTimeout : pingTimeout) : .zero
        self.client = WorkerClient.Settings(
            maxPacketSize: settings.maxPacketSize,
            pool: .init(
                maxSize: effective.connectionPoolSize, minSize: effective.connectionPoolMinsize,
                idleTimeout: effective.connectionPoolTimeout),
            acquireTimeout: effective.connectionAcquireTimeout,
            connectPingTimeout: connectPing,
            prepostPingTimeout: prepostPing,
            idlePingInterval: effective.pingMode.contains(.interval) ? effective.connectionPingInterval : .zero,
            pingTimeout: pingTimeout,
            disableReuse: false)
        self.timeouts = ExchangeTimeouts(socket: settings.socketTimeout, reply: settings.replyTimeout)
        var initial = AJPSharedSettings()
        initial.replyTimeout = settings.replyTimeout.value
        initial.pingTimeout = pingTimeout.value
        initial.connectTimeout = connectPing.value
        initial.prepostTimeout = prepostPing.value
        initial.connectionPoolTimeout = effective.connectionPoolTimeout.value
        initial.connectionPingInterval = effective.connectionPingInterval.value
        initial.retries = Int32(clamping: settings.retries)
        initial.recoveryOptions = Int32(clamping: settings.recoveryOptions)
        initial.busyLimit = Int32(clamping: settings.busyLimit)
        self.configuredLive = initial
        replyTimeout = Atomic(initial.replyTimeout)
        self.pingTimeout = Atomic(initial.pingTimeout)
        connectTimeout = Atomic(initial.connectTimeout)
        prepostTimeout = Atomic(initial.prepostTimeout)
        connectionPoolTimeout = Atomic(initial.connectionPoolTimeout)
        connectionPingInterval = Atomic(initial.connectionPingInterval)
        retries = Atomic(initial.retries)
        recoveryOptions = Atomic(initial.recoveryOptions)
        busyLimit = Atomic(initial.busyLimit)
        changed = Atomic(initial.changed)
    }

    /// The runtime-editable settings as workers.properties gave them.
    let configuredLive: AJPSharedSettings
    /// Read by every request on every thread: atomics, not a lock (fields change one by one,
    /// so a request may see one operator change before the next).
    private let replyTimeout: Atomic<Int64>
    private let pingTimeout: Atomic<Int64>
    private let connectTimeout: Atomic<Int64>
    private let prepostTimeout: Atomic<Int64>
    private let connectionPoolTimeout: Atomic<Int64>
    private let connectionPingInterval: Atomic<Int64>
    private let retries: Atomic<Int32>
    private let recoveryOptions: Atomic<Int32>
    private let busyLimit: Atomic<Int32>
    private let changed: Atomic<UInt16>

    /// The runtime-editable settings in effect in this child (an operator's changes included).
    var live: AJPSharedSettings {
        var settings = AJPSharedSettings()
        settings.replyTimeout = replyTimeout.load(ordering: .relaxed)
        settings.pingTimeout = pingTimeout.load(ordering: .relaxed)
        settings.connectTimeout = connectTimeout.load(ordering: .relaxed)
        settings.prepostTimeout = prepostTimeout.load(ordering: .relaxed)
        settings.connectionPoolTimeout = connectionPoolTimeout.load(ordering: .relaxed)
        settings.connectionPingInterval = connectionPingInterval.load(ordering: .relaxed)
        settings.retries = retries.load(ordering: .relaxed)
        settings.recoveryOptions = recoveryOptions.load(ordering: .relaxed)
        settings.busyLimit = busyLimit.load(ordering: .relaxed)
        settings.changed = changed.load(ordering: .relaxed)
        return settings
    }

    /// Takes an operator's changes (pulled from the shared records) for this child's requests.
    func take(_ settings: AJPSharedSettings) {
        replyTimeout.store(settings.replyTimeout, ordering: .relaxed)
        pingTimeout.store(settings.pingTimeout, ordering: .relaxed)
        connectTimeout.store(settings.connectTimeout, ordering: .relaxed)
        prepostTimeout.store(settings.prepostTimeout, ordering: .relaxed)
        connectionPoolTimeout.store(settings.connectionPoolTimeout, ordering: .relaxed)
        connectionPingInterval.store(settings.connectionPingInterval, ordering: .relaxed)
        retries.store(settings.retries, ordering: .relaxed)
        recoveryOptions.store(settings.recoveryOptions, ordering: .relaxed)
        busyLimit.store(settings.busyLimit, ordering: .relaxed)
        changed.store(settings.changed, ordering: .relaxed)
    }

    /// How long a pooled connection may sit idle before a CPING checks it; zero = no idle CPINGs
    /// (ping_mode without I, unless an operator set connection_ping_interval).
    func idlePingInterval(_ live: AJPSharedSettings) -> Milliseconds {
        let on = effective.pingMode.contains(.interval) || live.changed & AJPChange.connectionPingInterval(seconds: 0).bit != 0
        return on ? Milliseconds(live.connectionPingInterval) : .zero
    }

    /// This worker's exchange timeouts in effect.
    func exchangeTimeouts(_ live: AJPSharedSettings) -> ExchangeTimeouts {
        var timeouts = self.timeouts
        timeouts.reply = Milliseconds(live.replyTimeout)
        timeouts.liveness = Milliseconds(live.pingTimeout)
        return timeouts
    }

    /// `fail_on_status`: positive codes mark the member in error, negative ones only fail over.
    func failOnStatus(_ status: Int, override: [Int]?) -> AttemptResult? {
        let codes = override ?? settings.failOnStatus
        if codes.contains(status) { return .statusFatal }
        if codes.contains(-status) { return .statusError }
        return nil
    }
}

final class LBPlan: Sendable {
    let name: String
    let settings: LoadBalancerSettings
    /// The balancer as workers.properties configured it.
    let configured: Balancer
    /// Worker-plan index of each member, in member order.
    let memberWorkers: [Int]
    /// Index of this lb's records in the shared region.
    let sharedSlot: Int
    /// This child's copy of the balancer with the operators' runtime changes, and the shared
    /// sequence it was built from (mod_jk's `jk_lb_pull`).
    private let live: LockedState<(sequence: UInt64, balancer: Balancer)>

    init(name: String, settings: LoadBalancerSettings, balancer: Balancer, memberWorkers: [Int], sharedSlot: Int) {
        self.name = name
        self.settings = settings
        self.configured = balancer
        self.memberWorkers = memberWorkers
        self.sharedSlot = sharedSlot
        self.live = LockedState((0, balancer))
    }

    /// Whether an operator's change was ever pulled here; until then the configured balancer
    /// is the one in effect and requests take no lock to read it.
    private let changedAtRuntime = Atomic<Bool>(false)

    /// The balancer in effect in this child (runtime changes included as of the last pull).
    var balancer: Balancer { current.balancer }

    /// The balancer in effect and the shared sequence it reflects.
    var current: (sequence: UInt64, balancer: Balancer) {
        guard changedAtRuntime.load(ordering: .acquiring) else { return (0, configured) }
        return live.withLock { $0 }
    }

    /// Rebuilds this child's balancer when the shared records changed since the last pull.
    /// Returns the balancer in effect afterwards.
    /// `busyLimits`: the members' busy_limit in effect (their ajp13 settings), in member order.
    @discardableResult
    func pull(_ shared: SharedBalancerState, busyLimits: [Int]? = nil) -> (sequence: UInt64, balancer: Balancer) {
        guard let snapshot = shared.fullSnapshot(sharedSlot) else { return current }
        let known = current
        guard snapshot.balancer.sequence != known.sequence else { return known }
        var rebuilt = configured.applying(settings: snapshot.balancer.settings, runtime: snapshot.members, labels: snapshot.labels)
        if let busyLimits { rebuilt = rebuilt.withBusyLimits(busyLimits) }
        let result = live.withLock { state in
            if state.sequence != snapshot.balancer.sequence { state = (snapshot.balancer.sequence, rebuilt) }
            return state
        }
        changedAtRuntime.store(true, ordering: .releasing)
        return result
    }
}

final class StatusPlan: Sendable {
    let name: String
    let settings: StatusWorkerSettings

    init(name: String, settings: StatusWorkerSettings) {
        self.name = name
        self.settings = settings
    }
}
