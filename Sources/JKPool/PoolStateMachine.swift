import JKCore

/// The connection pool of one AJP worker in one httpd child, as a value that returns actions.
///
/// It never connects, closes or sleeps: the shell (`JKClient.WorkerClient`) mutates it under a
/// lock and performs the returned actions after unlocking (async-http-client's
/// `modifyStateAndRunActions`, docs/architecture.md §11.2). Connections are opaque to it.
///
/// Accounting: `total` counts every connection that exists or is being opened (idle + leased +
/// connecting) and never exceeds `limits.maxSize` (`connection_pool_size`). Idle connections are a
/// stack: the most recently used one is reused first, so the others age out at `sweep`.
public struct PoolStateMachine<Connection> {
    public struct Limits: Equatable, Sendable {
        /// `connection_pool_size`.
        public var maxSize: Int
        /// `connection_pool_minsize`: `sweep` keeps at least this many connections.
        public var minSize: Int
        /// `connection_pool_timeout`: idle connections older than this are closed at `sweep`;
        /// zero keeps them forever (mod_jk's default).
        public var idleTimeout: Milliseconds

        public init(maxSize: Int, minSize: Int, idleTimeout: Milliseconds) {
            self.maxSize = max(1, maxSize)
            self.minSize = min(max(0, minSize), self.maxSize)
            self.idleTimeout = idleTimeout
        }
    }

    public enum LeaseAction {
        /// Use this pooled connection; it was idle since `idleSince`.
        case use(Connection, idleSince: Timestamp)
        /// A slot is reserved: open a new connection, then report `opened()` or `openFailed()`.
        case open
        /// Every slot is leased: wait and try again, or give up (`connection_acquire_timeout`).
        case exhausted
    }

    public enum ReleaseAction {
        /// The connection went back to the idle stack.
        case keep
        /// Close this connection (not reusable, or the pool is being drained).
        case close(Connection)
    }

    /// Mutable so an operator's change (status worker) reaches a live pool.
    public var limits: Limits
    private var idle: [(connection: Connection, since: Timestamp)] = []
    public private(set) var total = 0
    public private(set) var leased = 0
    private var draining = false
    /// When a connection last came back through `release`: a request completed on it (or an idle
    /// one answered a CPING). Evidence that the backend is answering, for the liveness check.
    public private(set) var lastReturn: Timestamp?

    public init(limits: Limits) {
        self.limits = limits
        idle.reserveCapacity(limits.maxSize)
    }

    public var idleCount: Int { idle.count }

    /// Whether a lease would succeed now (an idle connection, or room for a new one).
    public var canLease: Bool { !draining && (!idle.isEmpty || total < limits.maxSize) }

    /// Takes the most recently used idle connection, or reserves a slot for a new one.
    public mutating func lease(now: Timestamp) -> LeaseAction {
        if let last = idle.popLast() {
            leased += 1
            return .use(last.connection, idleSince: last.since)
        }
        guard total < limits.maxSize else { return .exhausted }
        total += 1
        leased += 1
        return .open
    }

    /// The connection for a slot reserved by `.open` could not be opened.
    public mutating func openFailed() {
        total = max(0, total - 1)
        leased = max(0, leased - 1)
    }

    /// Returns a leased connection. Reusable ones go back to the idle stack.
    public mutating func release(_ connection: Connection, reusable: Bool, now: Timestamp) -> ReleaseAction {
        leased = max(0, leased - 1)
        lastReturn = now
        guard reusable, !draining else {
            total = max(0, total - 1)
            return .close(connection)
        }
        idle.append((connection, now))
        return .keep
    }

    /// A leased connection was closed by its user (error, `DisableReuse`): free its slot.
    public mutating func discarded() {
        leased = max(0, leased - 1)
        total = max(0, total - 1)
    }

    /// Idle connections older than `idleTimeout`, oldest first, down to `minSize` connections
    /// in all. The caller closes them.
    public mutating func sweep(now: Timestamp) -> [Connection] {
        guard limits.idleTimeout.value > 0 else { return [] }
        var expired: [Connection] = []
        // The stack's bottom holds the longest-idle connections.
        while let oldest = idle.first, total > limits.minSize, now - oldest.since >= limits.idleTimeout {
            idle.removeFirst()
            total -= 1
            expired.append(oldest.connection)
        }
        return expired
    }

    /// Leases every idle connection that has been idle at least `interval`, for a CPING probe
    /// (`ping_mode` I). Each must come back through `release` or `discarded`.
    public mutating func leaseIdle(longerThan interval: Milliseconds, now: Timestamp) -> [Connection] {
        var probed: [Connection] = []
        var kept: [(connection: Connection, since: Timestamp)] = []
        for entry in idle {
            if now - entry.since >= interval {
                probed.append(entry.connection)
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        leased += probed.count
        return probed
    }

    /// Closes everything idle and refuses to keep connections released later (child shutdown).
    public mutating func drain() -> [Connection] {
        draining = true
        let all = idle.map(\.connection)
        total -= all.count
        idle.removeAll()
        return all
    }
}
