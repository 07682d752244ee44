import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPool
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

    var typeName: String {
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
    private let live: Mutex<(sequence: UInt64, balancer: Balancer)>

    init(name: String, settings: LoadBalancerSettings, balancer: Balancer, memberWorkers: [Int], sharedSlot: Int) {
        self.name = name
        self.settings = settings
        self.configured = balancer
        self.memberWorkers = memberWorkers
        self.sharedSlot = sharedSlot
        self.live = Mutex((0, balancer))
    }

    /// The balancer in effect in this child (runtime changes included as of the last pull).
    var balancer: Balancer { live.withLock { $0.balancer } }

    /// The balancer in effect and the shared sequence it reflects.
    var current: (sequence: UInt64, balancer: Balancer) { live.withLock { $0 } }

    /// Rebuilds this child's balancer when the shared records changed since the last pull.
    /// Returns the balancer in effect afterwards.
    @discardableResult
    func pull(_ shared: SharedBalancerState) -> (sequence: UInt64, balancer: Balancer) {
        guard let snapshot = shared.fullSnapshot(sharedSlot) else { return current }
        let known = current
        guard snapshot.balancer.sequence != known.sequence else { return known }
        let rebuilt = configured.applying(settings: snapshot.balancer.settings, runtime: snapshot.members, labels: snapshot.labels)
        return live.withLock { state in
            if state.sequence != snapshot.balancer.sequence { state = (snapshot.balancer.sequence, rebuilt) }
            return state
        }
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
