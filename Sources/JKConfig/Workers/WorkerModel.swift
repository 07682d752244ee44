import JKBalancer
import JKCore

/// The typed result of workers.properties: every worker with its effective settings after
/// `reference=` inheritance and defaults. Nothing downstream parses strings again.
public struct WorkersConfiguration: Sendable {
    /// `worker.list`: the workers that can be mounted, in order.
    public var list: [String]
    /// `worker.maintain`: pool maintenance and lb global maintenance period.
    public var maintainInterval: Milliseconds
    /// Every defined worker (listed or only referenced as an lb member), by name.
    public var workers: [String: Worker]
    /// Worker names in definition order (for stable output).
    public var order: [String]
    /// Workers with properties that are neither in worker.list nor an lb member (not usable).
    public var unlisted: [String] = []
    /// The properties as read, `key=value` in file order, secrets masked (`cmd=dump`).
    public var dump: [String] = []

    public init(list: [String] = [], maintainInterval: Milliseconds = .seconds(60), workers: [String: Worker] = [:], order: [String] = []) {
        self.list = list
        self.maintainInterval = maintainInterval
        self.workers = workers
        self.order = order
    }

    public func worker(named name: String) -> Worker? { workers[name] }
}

public struct Worker: Sendable {
    public enum Kind: Sendable {
        case ajp13(AJPWorkerSettings)
        case lb(LoadBalancerSettings)
        case status(StatusWorkerSettings)
    }

    public var name: String
    public var kind: Kind
    /// Where the worker's first property was written.
    public var location: SourceLocation?
    /// `worker.X.mount` rules.
    public var mounts: [String]

    public var typeName: String {
        switch kind {
        case .ajp13: "ajp13"
        case .lb: "lb"
        case .status: "status"
        }
    }

    public var ajp: AJPWorkerSettings? {
        if case .ajp13(let settings) = kind { return settings }
        return nil
    }

    public var loadBalancer: LoadBalancerSettings? {
        if case .lb(let settings) = kind { return settings }
        return nil
    }
}

/// `ping_mode` flags.
public struct PingMode: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// CPING after connecting.
    public static let connect = PingMode(rawValue: 1)
    /// CPING before every request.
    public static let prepost = PingMode(rawValue: 2)
    /// CPING on connections idle longer than `connection_ping_interval`.
    public static let interval = PingMode(rawValue: 4)
    public static let all: PingMode = [.connect, .prepost, .interval]

    /// `C`, `P`, `I`, `A` in any combination, as mod_jk's `jk_ajp_get_cping_mode`.
    public init?(parsing text: String) {
        var mode: PingMode = []
        for character in text {
            switch character {
            case "C", "c": mode.insert(.connect)
            case "P", "p": mode.insert(.prepost)
            case "I", "i": mode.insert(.interval)
            case "A", "a": mode.formUnion(.all)
            default: return nil
            }
        }
        self = mode
    }

    public var description: String {
        if isEmpty { return "none" }
        var text = ""
        if contains(.connect) { text += "C" }
        if contains(.prepost) { text += "P" }
        if contains(.interval) { text += "I" }
        return text
    }
}

/// An ajp13 worker (also an lb member). Times are already in milliseconds.
public struct AJPWorkerSettings: Sendable, Equatable {
    public var host = "localhost"
    public var port = 8009
    /// Where `host` was set (diagnostics about the host name).
    public var hostLocation: SourceLocation?
    public var secret: String?
    public var socketTimeout = Milliseconds.zero
    /// nil = not set (SwiftJK default; mod_jk: socket_timeout × 1000).
    public var socketConnectTimeout: Milliseconds?
    /// nil = not set (SwiftJK default on; mod_jk: off).
    public var socketKeepalive: Bool?
    public var socketBuffer = 0
    /// nil = not set (SwiftJK default; mod_jk: none).
    public var pingMode: PingMode?
    /// nil = not set (SwiftJK default; mod_jk: 10000).
    public var pingTimeout: Milliseconds?
    public var connectTimeout = Milliseconds.zero
    public var prepostTimeout = Milliseconds.zero
    /// nil = not set (default: ping_timeout / 100 seconds, as mod_jk).
    public var connectionPingInterval: Milliseconds?
    public var replyTimeout = Milliseconds.zero
    public var retries = 2
    public var retryInterval = Milliseconds(100)
    public var recoveryOptions = 0
    public var failOnStatus: [Int] = []
    public var busyLimit = 0
    public var maxPacketSize = 8192
    /// nil = the MPM's threads per child.
    public var connectionPoolSize: Int?
    /// nil = (pool size + 1) / 2.
    public var connectionPoolMinsize: Int?
    /// nil = not set (SwiftJK default 600 s; mod_jk: 0 = never).
    public var connectionPoolTimeout: Milliseconds?
    /// nil = retries × retry_interval.
    public var connectionAcquireTimeout: Milliseconds?
    public var preferIPv6 = false
    public var source: String?
    // As an lb member:
    public var lbFactor = 1
    public var route: String?
    public var domain = ""
    public var redirect = ""
    public var distance = 0
    public var activation: Activation = .active
    /// `slow_start` (SwiftJK); nil = the lb's.
    public var slowStart: Milliseconds?
    /// `drain_timeout` (SwiftJK); nil = the lb's.
    public var drainTimeout: Milliseconds?

    public init() {}
}

/// An lb worker.
public struct LoadBalancerSettings: Sendable, Equatable {
    public var members: [String] = []
    public var stickySession = true
    public var stickySessionForce = false
    public var method: LoadBalancingMethodKind = .requests
    /// `lock=P` (pessimistic) or `O` (optimistic); SwiftJK always locks the shared record.
    public var pessimisticLock = false
    public var retries = 2
    public var lbRetries = 2
    public var retryInterval = Milliseconds(100)
    public var recoverTime = Milliseconds.seconds(60)
    /// nil = recover_time / 2.
    public var errorEscalationTime: Milliseconds?
    public var maxReplyTimeouts = 0
    public var sessionCookie = "JSESSIONID"
    public var sessionPath = ";jsessionid"
    public var setSessionCookie = false
    public var sessionCookiePath = "/"
    public var secret: String?
    public var maxPacketSize = 8192
    /// `slow_start` for every member that sets none (SwiftJK); 0 = off.
    public var slowStart = Milliseconds.zero
    /// `drain_timeout` for every member that sets none (SwiftJK); 0 = off.
    public var drainTimeout = Milliseconds.zero

    public init() {}
}

/// A status worker.
public struct StatusWorkerSettings: Sendable, Equatable {
    public var readOnly = false
    public var users: [String] = []
    public var userCaseInsensitive = false
    public var good: [String] = []
    public var bad: [String] = []
    public var css: String?
    public var prefix = "worker"
    public var ns = "jk:"
    public var xmlns = "xmlns:jk=\"http://tomcat.apache.org\""
    public var doctype: String?
    /// `allow_get_updates` (SwiftJK): state changes by GET (mod_jk's links and scripts).
    /// Off by default: SwiftJK's page changes state only by POST with a one-time nonce.
    public var allowGetUpdates = false

    public init() {}
}
