import JKBalancer
import JKCore

/// The worker properties SwiftJK reads: one row per property and worker type. Adding a property
/// is a field (with its default) in `WorkerModel.swift` and a row here; the name index, the
/// applicability warnings and the readers follow (docs/architecture.md §9.1).
public enum PropertyRows {
    /// An ajp13 worker, also an lb member.
    public static let ajp: [PropertyRow<AJPWorkerSettings>] = [
        PropertyRow("host") { settings, value, worker in
            settings.hostLocation = value.location
            // "host:port" is accepted (jk_ajp_common.c); a bare IPv6 literal is not split.
            let host = value.value
            if let colon = host.lastIndex(of: ":"), !host.contains("]") || host.hasPrefix("["),
                host.firstIndex(of: ":") == colon, let port = Int(host[host.index(after: colon)...])
            {
                settings.host = String(host[..<colon])
                settings.port = port
                guard !settings.host.isEmpty else { return .error("worker.\(worker).host is empty", at: value.location) }
                // Debian's mod_jk 1.2.48 does not split it: it cannot resolve the name and stops
                // the member. Say what SwiftJK does instead, and that a port= line wins.
                return .warning(
                    "worker.\(worker).host='\(host)' embeds a port: SwiftJK connects to \(settings.host) port \(port) unless a worker.\(worker).port line says otherwise (mod_jk 1.2.48 cannot resolve such a host and stops the member); write host=\(settings.host) and port=\(port)",
                    at: value.location)
            } else {
                settings.host = host
            }
            return settings.host.isEmpty ? .error("worker.\(worker).host is empty", at: value.location) : nil
        },
        .integer("port", \.port, max: 65535),
        .string("secret", \.secret),
        .string("source", \.source),
        .boolean("prefer_ipv6", \.preferIPv6),
        .seconds("socket_timeout", \.socketTimeout),
        .milliseconds("socket_connect_timeout", \.socketConnectTimeout),
        .boolean("socket_keepalive", \.socketKeepalive),
        .integer("socket_buffer", \.socketBuffer),
        .parsed("ping_mode", expected: "use the letters C, P, I or A", PingMode.init(parsing:)) { $0.pingMode = $1 },
        .milliseconds("ping_timeout", \.pingTimeout),
        .milliseconds("connect_timeout", \.connectTimeout),
        .milliseconds("prepost_timeout", \.prepostTimeout),
        .seconds("connection_ping_interval", \.connectionPingInterval),
        .milliseconds("reply_timeout", \.replyTimeout),
        .raisedInteger("retries", \.retries, min: 1),
        .milliseconds("retry_interval", \.retryInterval),
        .integer("recovery_options", \.recoveryOptions, max: 31),
        .parsed("fail_on_status", isList: true, expected: "expected HTTP status codes (negative: do not mark the member in error)", statusCodes) {
            $0.failOnStatus = $1
        },
        .integer("busy_limit", \.busyLimit),
        PropertyRow("max_packet_size") { settings, value, worker in
            guard let size = ValueParsing.integer(value.value), size > 0 else {
                return .error("worker.\(worker).max_packet_size='\(value.value)': expected a size in bytes", at: value.location)
            }
            settings.maxPacketSize = AJPPacketSizeRule.normalized(size)
            guard settings.maxPacketSize != size else { return nil }
            return .info(
                "worker.\(worker).max_packet_size=\(size) is used as \(settings.maxPacketSize) (multiple of 1024 in 8192…65536)", at: value.location)
        },
        .integer("connection_pool_size", \.connectionPoolSize, min: 1),
        .integer("connection_pool_minsize", \.connectionPoolMinsize),
        .seconds("connection_pool_timeout", \.connectionPoolTimeout),
        .milliseconds("connection_acquire_timeout", \.connectionAcquireTimeout),
        PropertyRow("lbfactor") { settings, value, worker in
            guard let factor = ValueParsing.integer(value.value), factor <= 100_000 else {
                return .error("worker.\(worker).lbfactor='\(value.value)': \(PropertyRow<AJPWorkerSettings>.integerRange(1, 100_000))", at: value.location)
            }
            settings.lbFactor = max(1, factor)
            guard factor < 1 else { return nil }
            // mod_jk raises it to 1 too: the member still takes its share. (A member kept in
            // reserve is one with a larger `distance`.)
            return .warning(
                "worker.\(worker).lbfactor=\(factor) is below 1 and used as 1, as mod_jk does; to keep a member in reserve, give it a larger distance",
                at: value.location)
        },
        .seconds("slow_start", \.slowStart),
        .seconds("drain_timeout", \.drainTimeout),
        .sharedText("route", \.route),
        .sharedText("domain", \.domain),
        .sharedText("redirect", \.redirect),
        .integer("distance", \.distance),
        .parsed("activation", expected: "use A (active), D (disabled) or S (stopped)", { Activation(parsing: $0) }) { $0.activation = $1 },
    ]

    /// An lb worker.
    public static let loadBalancer: [PropertyRow<LoadBalancerSettings>] = [
        PropertyRow("balance_workers", isList: true) { settings, value, _ in
            var seen = Set<String>()
            settings.members = ValueParsing.list(value.value).filter { seen.insert($0).inserted }
            return nil
        },
        .boolean("sticky_session", \.stickySession),
        .boolean("sticky_session_force", \.stickySessionForce),
        .parsed("method", expected: "use Request, Session, Next, Traffic or Busyness", { LoadBalancingMethodKind(parsing: $0) }) {
            $0.method = $1
        },
        .parsed("lock", expected: "use Optimistic or Pessimistic", lockIsPessimistic) { $0.pessimisticLock = $1 },
        .raisedInteger("retries", \.retries, min: 1),
        .integer("lb_retries", \.lbRetries, min: 1),
        .milliseconds("retry_interval", \.retryInterval),
        .seconds("recover_time", \.recoverTime, min: 1),
        .seconds("error_escalation_time", \.errorEscalationTime),
        .integer("max_reply_timeouts", \.maxReplyTimeouts),
        .string("session_cookie", \.sessionCookie),
        .string("session_path", \.sessionPath),
        .boolean("set_session_cookie", \.setSessionCookie),
        .string("session_cookie_path", \.sessionCookiePath),
        .string("secret", \.secret),
        .parsed("max_packet_size", expected: "expected a number ≥ 1", PropertyRow<LoadBalancerSettings>.integerParser(1, .max)) {
            $0.maxPacketSize = AJPPacketSizeRule.normalized($1)
        },
        .seconds("slow_start", \.slowStart),
        .seconds("drain_timeout", \.drainTimeout),
    ]

    /// A status worker.
    public static let status: [PropertyRow<StatusWorkerSettings>] = [
        .boolean("read_only", \.readOnly),
        .list("user", \.users),
        .boolean("user_case_insensitive", \.userCaseInsensitive),
        .list("good", \.good),
        .list("bad", \.bad),
        .string("css", \.css),
        .string("prefix", \.prefix),
        .string("ns", \.ns),
        .string("xmlns", \.xmlns),
        .string("doctype", \.doctype),
        .boolean("allow_get_updates", \.allowGetUpdates),
    ]

    /// Properties of every worker type, read by the builder itself.
    public static let structural: [(name: String, isList: Bool)] = [("type", false), ("reference", false), ("mount", true)]

    /// Applies the given attributes through `rows`, in row order (so a value that depends on
    /// another, like `port` after `host=name:port`, sees it).
    static func read<Settings>(
        _ rows: [PropertyRow<Settings>], into settings: inout Settings, attributes: [String: PropertyValue], worker: String
    ) -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        for row in rows {
            guard let value = attributes[row.name], let problem = row.apply(&settings, value, worker) else { continue }
            diagnostics.append(problem)
        }
        return diagnostics
    }

    // MARK: Value syntaxes used by one property each

    /// `fail_on_status`: three-digit codes, negative ones marking "do not put the member in error".
    static func statusCodes(_ text: String) -> [Int]? {
        var codes: [Int] = []
        for item in ValueParsing.list(text) {
            guard let code = Int(item), (100...999).contains(abs(code)) else { return nil }
            codes.append(code)
        }
        return codes
    }

    /// `lock`: mod_jk looks at the first letter only.
    static func lockIsPessimistic(_ text: String) -> Bool? {
        switch text.first {
        case "o", "O": false
        case "p", "P": true
        default: nil
        }
    }
}

extension AJPWorkerSettings {
    /// The rules that join several properties, applied after the rows.
    mutating func finishReading(_ attributes: [String: PropertyValue], worker: String) {
        // socket_timeout also bounds the connect unless socket_connect_timeout says otherwise.
        if socketConnectTimeout == nil, attributes["socket_timeout"] != nil, socketTimeout.value > 0 {
            socketConnectTimeout = socketTimeout
        }
        // The legacy timeouts switch their CPING mode on by themselves (mod_jk), on top of the
        // ping_mode in effect (SwiftJK's safe default when none is given).
        if connectTimeout.value > 0 { pingMode = (pingMode ?? SafeDefaults.pingMode).union(.connect) }
        if prepostTimeout.value > 0 { pingMode = (pingMode ?? SafeDefaults.pingMode).union(.prepost) }
        // A route "dom.jvm1" names its domain (jk_lb_worker.c); without a route the worker's
        // name is the route, so a member named "app.v1" is in domain "app", as in mod_jk.
        let effectiveRoute = route ?? worker
        if domain.isEmpty, let dot = effectiveRoute.firstIndex(of: ".") { domain = String(effectiveRoute[..<dot]) }
    }
}
