import JKCore

/// An ajp13 worker's settings with every default filled in: mod_jk's where they are safe,
/// SwiftJK's where mod_jk ships a setting that can hang or stall failover (README, "Defaults that
/// differ from mod_jk").
public struct EffectiveAJPSettings: Sendable, Equatable {
    public var socketConnectTimeout: Milliseconds
    public var socketKeepalive: Bool
    public var pingMode: PingMode
    public var pingTimeout: Milliseconds
    public var connectionPingInterval: Milliseconds
    public var connectionPoolSize: Int
    public var connectionPoolMinsize: Int
    public var connectionPoolTimeout: Milliseconds
    public var connectionAcquireTimeout: Milliseconds
    /// The SwiftJK defaults that were applied, as `name=value` (for the startup summary).
    public var swiftJKDefaultsApplied: [String]
}

extension AJPWorkerSettings {
    /// SwiftJK's defaults where mod_jk has none.
    public enum SafeDefaults {
        /// mod_jk: 0 (the kernel's, minutes against a dead host).
        public static let socketConnectTimeout = Milliseconds(3000)
        /// mod_jk: off; firewalls drop idle pooled connections silently.
        public static let socketKeepalive = true
        /// mod_jk: no CPING at all. C: a connect that reaches a mute port (a half-started Tomcat)
        /// fails within ping_timeout; I: long-idle pooled connections are checked before reuse.
        public static let pingMode: PingMode = [.connect, .interval]
        /// mod_jk: 10000.
        public static let pingTimeout = Milliseconds(3000)
        /// mod_jk: 0 = idle connections are kept forever.
        public static let connectionPoolTimeout = Milliseconds.seconds(600)
    }

    public func effective(threadsPerChild: Int) -> EffectiveAJPSettings {
        var applied: [String] = []
        let connectTimeout = socketConnectTimeout ?? {
            applied.append("socket_connect_timeout=\(SafeDefaults.socketConnectTimeout.value)")
            return SafeDefaults.socketConnectTimeout
        }()
        let keepalive = socketKeepalive ?? {
            applied.append("socket_keepalive=true")
            return SafeDefaults.socketKeepalive
        }()
        let mode = pingMode ?? {
            applied.append("ping_mode=\(SafeDefaults.pingMode)")
            return SafeDefaults.pingMode
        }()
        let timeout = pingTimeout ?? {
            applied.append("ping_timeout=\(SafeDefaults.pingTimeout.value)")
            return SafeDefaults.pingTimeout
        }()
        // mod_jk: ping_timeout / 100, in seconds (10000 ms → 100 s, 2500 ms → 25 s).
        let interval = connectionPingInterval ?? .seconds(Int(max(1, timeout.value / 100)))
        let poolTimeout = connectionPoolTimeout ?? {
            applied.append("connection_pool_timeout=\(SafeDefaults.connectionPoolTimeout.value / 1000)")
            return SafeDefaults.connectionPoolTimeout
        }()
        let size = connectionPoolSize ?? max(1, threadsPerChild)
        let minsize = min(connectionPoolMinsize ?? (size + 1) / 2, size)
        let acquire = connectionAcquireTimeout ?? Milliseconds(Int64(retries) * retryInterval.value)
        return EffectiveAJPSettings(
            socketConnectTimeout: connectTimeout, socketKeepalive: keepalive, pingMode: mode, pingTimeout: timeout,
            connectionPingInterval: interval, connectionPoolSize: size, connectionPoolMinsize: minsize,
            connectionPoolTimeout: poolTimeout, connectionAcquireTimeout: acquire, swiftJKDefaultsApplied: applied)
    }
}
