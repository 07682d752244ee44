import JKBalancer
import JKClient
import JKConfig
import JKCore
import JKPosix
import JKSync
import Synchronization

/// The per-child object graph, built in child_init (after fork, never in the parent): one
/// connection pool per ajp13 worker, the round-robin offsets of the balancers, the mount tables
/// (reloadable) and the watchdog.
final class Runtime: @unchecked Sendable {
    let configuration: Configuration
    /// Indexed like `configuration.plans`; nil for lb and status workers.
    let clients: [WorkerClient?]
    /// Round-robin start offsets, per balancer slot (per process, as in mod_jk).
    let offsets: [Offset]
    let mounts: MountTables
    /// When this child started (status worker: a plain ajp13 worker's last reset).
    let startedAt = SystemClock.now()
    private(set) var watchdog: Watchdog?
    /// With `JkWatchdogInterval 0`: when a request next runs the maintenance (ms), every
    /// `worker.maintain`, as mod_jk's requests do when no watchdog runs.
    private let nextRequestMaintenance = Atomic<Int64>(0)
    /// Warnings written once per child (keys such as "mismatch:was1", "secret:worker1").
    private let warned = LockedState<Set<String>>([])

    final class Offset: Sendable {
        let value = Atomic<Int>(0)
    }

    init(configuration: Configuration) {
        self.configuration = configuration
        var clients: [WorkerClient?] = []
        for (index, plan) in configuration.plans.enumerated() {
            guard case .ajp(let ajp) = plan else {
                clients.append(nil)
                continue
            }
            clients.append(Runtime.makeClient(ajp, address: configuration.address(for: index)))
        }
        self.clients = clients
        let balancerCount = configuration.plans.reduce(0) { count, plan in
            if case .lb = plan { return count + 1 }
            return count
        }
        self.offsets = (0..<balancerCount).map { _ in Offset() }
        self.mounts = MountTables(configuration: configuration)
    }

    static func makeClient(_ plan: AJPPlan, address: SocketAddress?) -> WorkerClient {
        var options = BlockingSocket.Options(
            connectTimeout: plan.effective.socketConnectTimeout, keepAlive: plan.effective.socketKeepalive,
            bufferSize: plan.settings.socketBuffer > 0 ? max(plan.settings.socketBuffer, plan.settings.maxPacketSize) : 0)
        // worker.X.source: connect from this local address. One that does not resolve fails
        // every connect with that reason (never a silent connect from another address).
        let source = plan.settings.source
        var sourceProblem: TransportError?
        if let source {
            do {
                options.source = try SocketAddress.resolve(host: source, port: 0, preferIPv6: plan.settings.preferIPv6)
            } catch {
                sourceProblem = .unresolved(host: source, reason: "source address: \(error.description)")
            }
        }
        let resolved = Mutex<SocketAddress?>(address)
        let host = plan.host
        let port = plan.port
        let preferIPv6 = plan.settings.preferIPv6
        let connectOptions = options
        let sourceFailure = sourceProblem
        let connector: WorkerClient.Connector = { () throws(TransportError) -> any ByteStream in
            if let sourceFailure { throw sourceFailure }
            var target = resolved.withLock { $0 }
            if target == nil {
                let fresh = try SocketAddress.resolve(host: host, port: port, preferIPv6: preferIPv6)
                resolved.withLock { $0 = fresh }
                target = fresh
            }
            guard let target else { throw TransportError.unresolved(host: host, reason: "no address") }
            return try BlockingSocket.connect(to: target, options: connectOptions)
        }
        return WorkerClient(
            name: plan.name, settings: plan.client, connector: connector, now: { SystemClock.now() },
            sleep: { SystemClock.sleep($0) })
    }

    func startWatchdog() {
        let interval = configuration.jk.global.watchdogInterval ?? Watchdog.defaultInterval
        guard interval > 0 else { return }
        watchdog = Watchdog.start(runtime: self, interval: .seconds(interval))
    }

    /// Child exit: stop the watchdog, close idle connections.
    func shutdown() {
        watchdog?.stop()
        watchdog = nil
        for client in clients { client?.shutdown() }
    }

    /// Pool sweeps, idle-connection CPINGs and lb maintenance from the request path, when no
    /// watchdog thread does them; one request per interval wins the compare-and-swap.
    func maintainOnRequest(now: Timestamp) {
        guard watchdog == nil else { return }
        let due = nextRequestMaintenance.load(ordering: .relaxed)
        guard now.milliseconds >= due else { return }
        let next = now.milliseconds &+ max(1000, configuration.jk.workers.maintainInterval.value)
        guard nextRequestMaintenance.compareExchange(expected: due, desired: next, ordering: .relaxed).exchanged else { return }
        Maintenance.run(self, now: now, probe: false)
    }

    /// The ajp13 settings sequence this child last pulled.
    private let ajpSeen = Atomic<UInt64>(0)

    /// Takes operators' changes to ajp13 settings (status worker, any child) when the shared
    /// sequence moved: each plan's request settings and its pool here. One unlocked load when
    /// nothing changed.
    func pullAJPSettings() {
        guard let shared = configuration.shared else { return }
        let seen = ajpSeen.load(ordering: .relaxed)
        guard shared.ajpSettingsSequence != seen else { return }
        let (sequence, records) = shared.ajpSettings()
        guard ajpSeen.compareExchange(expected: seen, desired: sequence, ordering: .relaxed).exchanged else { return }
        var ajpIndex = 0
        for (index, plan) in configuration.plans.enumerated() {
            guard case .ajp(let ajp) = plan else { continue }
            defer { ajpIndex += 1 }
            guard ajpIndex < records.count else { break }
            let record = records[ajpIndex]
            ajp.take(record)
            client(index)?.update { settings in
                settings.pingTimeout = Milliseconds(record.pingTimeout)
                settings.connectPingTimeout = Milliseconds(record.connectTimeout)
                settings.prepostPingTimeout = Milliseconds(record.prepostTimeout)
                settings.idlePingInterval = ajp.idlePingInterval(record)
                settings.pool.idleTimeout = Milliseconds(record.connectionPoolTimeout)
            }
        }
    }

    /// An lb's balancer in effect here, with its members' busy_limit.
    @discardableResult
    func pull(_ lb: LBPlan, _ shared: SharedBalancerState) -> (sequence: UInt64, balancer: Balancer) {
        let limits = lb.memberWorkers.map { index -> Int in
            guard index < configuration.plans.count, case .ajp(let ajp) = configuration.plans[index] else { return 0 }
            return Int(ajp.live.busyLimit)
        }
        return lb.pull(shared, busyLimits: limits)
    }

    func client(_ index: Int) -> WorkerClient? { index >= 0 && index < clients.count ? clients[index] : nil }

    /// True the first time `key` is seen in this child.
    func firstTime(_ key: String) -> Bool { warned.withLock { $0.insert(key).inserted } }
}

extension BlockingSocket: ByteStream {}
