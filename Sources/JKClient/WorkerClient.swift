import AJP13
import JKCore
import JKPool
import JKSync
import Synchronization

/// The per-child connection pool of one AJP worker (one Tomcat), and the steps around a request
/// that belong to the connection rather than to the exchange: acquire (reuse, stale check,
/// connect, CPING), release, discard.
///
/// Mutations happen inside `LockedState.withLock` and touch only the state machine; connect, ping and
/// close run after unlocking, so no lock is held during I/O.
public final class WorkerClient: Sendable {
    public struct Settings: Sendable {
        public var maxPacketSize: Int
        public var pool: PoolStateMachine<AJPConnection>.Limits
        /// `connection_acquire_timeout`: how long to wait for a free pooled connection.
        public var acquireTimeout: Milliseconds
        /// CPING right after connect (`ping_mode` C), with this timeout; zero = off.
        public var connectPingTimeout: Milliseconds
        /// CPING before every request (`ping_mode` P), with this timeout; zero = off.
        public var prepostPingTimeout: Milliseconds
        /// CPING before reusing a connection idle at least `idlePingInterval` (`ping_mode` I
        /// applied at lease time as well as by the watchdog); zero = off.
        public var idlePingInterval: Milliseconds
        public var pingTimeout: Milliseconds
        /// `DisableReuse`: close every connection after one request.
        public var disableReuse: Bool

        public init(
            maxPacketSize: Int, pool: PoolStateMachine<AJPConnection>.Limits, acquireTimeout: Milliseconds,
            connectPingTimeout: Milliseconds, prepostPingTimeout: Milliseconds, idlePingInterval: Milliseconds,
            pingTimeout: Milliseconds, disableReuse: Bool
        ) {
            self.maxPacketSize = maxPacketSize
            self.pool = pool
            self.acquireTimeout = acquireTimeout
            self.connectPingTimeout = connectPingTimeout
            self.prepostPingTimeout = prepostPingTimeout
            self.idlePingInterval = idlePingInterval
            self.pingTimeout = pingTimeout
            self.disableReuse = disableReuse
        }
    }

    /// Opens a new stream to the backend (injected: a socket in production).
    public typealias Connector = @Sendable () throws(TransportError) -> any ByteStream
    /// Reads the clock (injected, so tests control time).
    public typealias Now = @Sendable () -> Timestamp
    /// Sleeps (injected).
    public typealias Sleep = @Sendable (Milliseconds) -> Void

    public let name: String
    /// The settings in effect; an operator may change the timeouts at runtime (`update`). Read
    /// on every request by every thread, so the changeable ones are atomics, not a lock.
    public var settings: Settings {
        var current = fixedSettings
        current.pingTimeout = Milliseconds(pingTimeout.load(ordering: .relaxed))
        current.connectPingTimeout = Milliseconds(connectPingTimeout.load(ordering: .relaxed))
        current.prepostPingTimeout = Milliseconds(prepostPingTimeout.load(ordering: .relaxed))
        current.idlePingInterval = Milliseconds(idlePingInterval.load(ordering: .relaxed))
        current.pool.idleTimeout = Milliseconds(idleTimeout.load(ordering: .relaxed))
        return current
    }
    private let fixedSettings: Settings
    private let pingTimeout: Atomic<Int64>
    private let connectPingTimeout: Atomic<Int64>
    private let prepostPingTimeout: Atomic<Int64>
    private let idlePingInterval: Atomic<Int64>
    private let idleTimeout: Atomic<Int64>
    private let connector: Connector
    private let now: Now
    private let sleep: Sleep
    private let state: LockedState<PoolStateMachine<AJPConnection>>
    private let nextID = Atomic<Int>(1)

    public init(name: String, settings: Settings, connector: @escaping Connector, now: @escaping Now, sleep: @escaping Sleep) {
        self.name = name
        self.fixedSettings = settings
        self.pingTimeout = Atomic(settings.pingTimeout.value)
        self.connectPingTimeout = Atomic(settings.connectPingTimeout.value)
        self.prepostPingTimeout = Atomic(settings.prepostPingTimeout.value)
        self.idlePingInterval = Atomic(settings.idlePingInterval.value)
        self.idleTimeout = Atomic(settings.pool.idleTimeout.value)
        self.connector = connector
        self.now = now
        self.sleep = sleep
        self.state = LockedState(PoolStateMachine(limits: settings.pool))
    }

    /// Applies new settings (timeouts, CPING, idle pool timeout) to this pool and the requests
    /// that start afterwards. The pool's size stays what it was.
    public func update(_ change: (inout Settings) -> Void) {
        var updated = settings
        change(&updated)
        pingTimeout.store(updated.pingTimeout.value, ordering: .relaxed)
        connectPingTimeout.store(updated.connectPingTimeout.value, ordering: .relaxed)
        prepostPingTimeout.store(updated.prepostPingTimeout.value, ordering: .relaxed)
        idlePingInterval.store(updated.idlePingInterval.value, ordering: .relaxed)
        idleTimeout.store(updated.pool.idleTimeout.value, ordering: .relaxed)
        state.withLock { $0.limits.idleTimeout = updated.pool.idleTimeout }
    }

    /// Whether this child could lease a connection right now (mod_jk's `ajp_has_endpoint`).
    public var hasFreeConnection: Bool { state.withLock { $0.canLease } }

    public struct Lease {
        public let connection: AJPConnection
        /// True when the connection was opened for this request (not taken from the pool).
        public let fresh: Bool
    }

    public enum AcquireFailure: Error, Equatable {
        /// Every pooled connection stayed busy for `connection_acquire_timeout`.
        case poolExhausted(Milliseconds)
        case backend(BackendFailure)
    }

    /// A connection ready to carry a request. Dead pooled connections are discarded on the way
    /// without counting as a backend failure (the request never reached them).
    ///
    /// Every pooled connection is peeked at before use (one non-blocking `recv`), whatever the
    /// request: bytes that arrived after END_RESPONSE (a container out of step) would otherwise
    /// be read as the answer to this request, and the client would get the one meant for the
    /// previous request, someone else's, and so on down the line (docs/architecture.md §5.1).
    public func acquire() -> Result<Lease, AcquireFailure> {
        let started = now()
        var waited = false
        while true {
            let action = state.withLock { $0.lease(now: now()) }
            switch action {
            case .use(let connection, let idleSince):
                if connection.stream.isStale() {
                    discard(connection)
                    continue
                }
                if needsPing(idleSince: idleSince) {
                    // prepost_timeout when set (ping_mode P), else ping_timeout (ping_mode I).
                    let timeout = settings.prepostPingTimeout.value > 0 ? settings.prepostPingTimeout : settings.pingTimeout
                    if case .failure = connection.ping(timeout: timeout, keepWaiting: answered(within:)) {
                        // A pooled connection that fails CPING is dropped; a fresh one decides.
                        discard(connection)
                        continue
                    }
                }
                return .success(Lease(connection: connection, fresh: false))
            case .open:
                return openFresh()
            case .exhausted:
                let elapsed = now() - started
                if waited && elapsed >= settings.acquireTimeout {
                    return .failure(.poolExhausted(settings.acquireTimeout))
                }
                waited = true
                sleep(Milliseconds(min(max(settings.acquireTimeout.value, 1), 20)))
            }
        }
    }

    private func needsPing(idleSince: Timestamp) -> Bool {
        if prepostPingTimeout.load(ordering: .relaxed) > 0 { return true }
        let interval = idlePingInterval.load(ordering: .relaxed)
        guard interval > 0 else { return false }
        return now() - idleSince >= Milliseconds(interval)
    }

    /// Opens a connection for a slot the pool reserved, CPINGs it when configured.
    private func openFresh() -> Result<Lease, AcquireFailure> {
        let stream: any ByteStream
        do {
            stream = try connector()
        } catch {
            state.withLock { $0.openFailed() }
            return .failure(.backend(BackendFailure(phase: .connect, cause: .transport(error))))
        }
        let connection = AJPConnection(
            stream: stream, maxPacketSize: fixedSettings.maxPacketSize,
            id: nextID.add(1, ordering: .relaxed).newValue)
        // connect_timeout when set (ping_mode C), else prepost_timeout (ping_mode P).
        let pingTimeout = settings.connectPingTimeout.value > 0 ? settings.connectPingTimeout : settings.prepostPingTimeout
        if pingTimeout.value > 0 {
            switch connection.ping(timeout: pingTimeout, keepWaiting: answered(within:)) {
            case .success:
                break
            case .failure(let failure):
                discard(connection)
                return .failure(.backend(failure))
            }
        }
        return .success(Lease(connection: connection, fresh: true))
    }

    /// Returns a connection after a request. `reusable` false (or `DisableReuse`) closes it.
    public func release(_ connection: AJPConnection, reusable: Bool) {
        connection.completedRequest()
        let action = state.withLock { $0.release(connection, reusable: reusable && !fixedSettings.disableReuse, now: now()) }
        if case .close(let closing) = action { closing.stream.close() }
    }

    /// True when a request on this worker (in this child) completed, or an idle connection
    /// answered a CPING, within the last `interval`: the backend is making progress.
    public func answered(within interval: Milliseconds) -> Bool {
        let now = now()
        return state.withLock { pool in pool.lastReturn.map { now - $0 <= interval } ?? false }
    }

    /// Closes a leased connection that must not be reused (error, half-read response).
    public func discard(_ connection: AJPConnection, abort: Bool = false) {
        state.withLock { $0.discarded() }
        if abort { connection.stream.abort() } else { connection.stream.close() }
    }

    /// Closes idle connections past `connection_pool_timeout` (maintenance / watchdog).
    public func sweep() {
        let expired = state.withLock { $0.sweep(now: now()) }
        for connection in expired { connection.stream.close() }
    }

    /// CPINGs idle connections older than `interval` (`ping_mode` I); drops those that fail.
    public func probeIdle(interval: Milliseconds) {
        let probed = state.withLock { $0.leaseIdle(longerThan: interval, now: now()) }
        for connection in probed {
            if case .success = connection.ping(timeout: settings.pingTimeout) {
                let action = state.withLock { $0.release(connection, reusable: true, now: now()) }
                if case .close(let closing) = action { closing.stream.close() }
            } else {
                discard(connection)
            }
        }
    }

    /// A CPING over a new connection that is not pooled: the watchdog's health probe.
    public func probe(timeout: Milliseconds) -> Result<Void, BackendFailure> {
        let stream: any ByteStream
        do {
            stream = try connector()
        } catch {
            return .failure(BackendFailure(phase: .connect, cause: .transport(error)))
        }
        let connection = AJPConnection(stream: stream, maxPacketSize: settings.maxPacketSize, id: 0)
        defer { connection.stream.close() }
        return connection.ping(timeout: timeout, keepWaiting: answered(within:))
    }

    /// Connections this child holds (idle + leased), for statistics.
    public var connectionCount: Int { state.withLock { $0.total } }

    /// Closes all idle connections; later releases close too (child exit).
    public func shutdown() {
        let all = state.withLock { $0.drain() }
        for connection in all { connection.stream.close() }
    }
}
