import JKBalancer
import JKCore

/// An ajp13 worker's configuration and this child's connections, as the status worker shows it.
public struct AJPFacts: Sendable, Equatable {
    public var name: String
    public var host: String
    public var port: Int
    /// The resolved address ("127.0.0.1:8009"), or "unresolved".
    public var address: String
    public var source: String?
    /// Seconds.
    public var connectionPoolTimeout: Int
    /// Milliseconds.
    public var pingTimeout: Int
    public var connectTimeout: Int
    public var prepostTimeout: Int
    public var replyTimeout: Int
    public var retries: Int
    /// Seconds.
    public var connectionPingInterval: Int
    public var recoveryOptions: Int
    public var busyLimit: Int
    public var maxPacketSize: Int
    /// Open connections of the child that answers (pools are per child, as in mod_jk).
    public var connected: Int
    public var maxConnected: Int

    public init(
        name: String, host: String, port: Int, address: String, source: String?, connectionPoolTimeout: Int, pingTimeout: Int,
        connectTimeout: Int, prepostTimeout: Int, replyTimeout: Int, retries: Int, connectionPingInterval: Int, recoveryOptions: Int,
        busyLimit: Int, maxPacketSize: Int, connected: Int, maxConnected: Int
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.address = address
        self.source = source
        self.connectionPoolTimeout = connectionPoolTimeout
        self.pingTimeout = pingTimeout
        self.connectTimeout = connectTimeout
        self.prepostTimeout = prepostTimeout
        self.replyTimeout = replyTimeout
        self.retries = retries
        self.connectionPingInterval = connectionPingInterval
        self.recoveryOptions = recoveryOptions
        self.busyLimit = busyLimit
        self.maxPacketSize = maxPacketSize
        self.connected = connected
        self.maxConnected = maxConnected
    }
}

/// A plain ajp13 worker's counters (mod_jk keeps them in its shared memory).
public struct AJPCounters: Sendable, Equatable {
    public var used: UInt64 = 0
    public var errors: UInt32 = 0
    public var clientErrors: UInt32 = 0
    public var replyTimeouts: UInt32 = 0
    public var transferred: UInt64 = 0
    public var read: UInt64 = 0
    public var busy: Int = 0
    public var maxBusy: Int = 0
    public var lastReset: Int64 = 0
    public var errorTime: Int64 = 0

    public init() {}
}

/// One mount rule as the status worker lists it ("Map:").
public struct MapFacts: Sendable, Equatable {
    public var server: String
    public var uri: String
    /// "Exact" or "Wildchar".
    public var type: String
    /// "JkMount", "JkMountFile" or "worker definition".
    public var source: String
    public var replyTimeout: Int
    public var stickyIgnore: Bool
    public var stateless: Bool
    public var failOnStatus: String
    public var active: String
    public var disabled: String
    public var stopped: String
    public var useServerErrors: Int

    public init(
        server: String, uri: String, type: String, source: String, replyTimeout: Int = -1, stickyIgnore: Bool = false, stateless: Bool = false,
        failOnStatus: String = "", active: String = "", disabled: String = "", stopped: String = "", useServerErrors: Int = 0
    ) {
        self.server = server
        self.uri = uri
        self.type = type
        self.source = source
        self.replyTimeout = replyTimeout
        self.stickyIgnore = stickyIgnore
        self.stateless = stateless
        self.failOnStatus = failOnStatus
        self.active = active
        self.disabled = disabled
        self.stopped = stopped
        self.useServerErrors = useServerErrors
    }
}

/// The clocks a status answer needs: the shared monotonic clock of the records, and wall time.
public struct StatusClock: Sendable {
    public var monotonic: Timestamp
    public var unixSeconds: Int
    /// Local civil time of a Unix time: `("20261205075533", "+0000")`.
    public var civil: @Sendable (Int) -> (datetime: String, zone: String)

    public init(monotonic: Timestamp, unixSeconds: Int, civil: @escaping @Sendable (Int) -> (datetime: String, zone: String)) {
        self.monotonic = monotonic
        self.unixSeconds = unixSeconds
        self.civil = civil
    }

    /// Seconds since a monotonic time (0: never → 0).
    func secondsSince(_ milliseconds: Int64) -> Int {
        milliseconds > 0 ? Int(max(0, monotonic.milliseconds &- milliseconds) / 1000) : 0
    }

    /// Wall time of a monotonic time.
    func unix(_ milliseconds: Int64) -> Int { unixSeconds - secondsSince(milliseconds) }
}

/// mod_jk's records: the fields of `Balancer Worker:`, `Member:`, `AJP Worker:` and `Map:`
/// in mod_jk 1.2.48's order.
public enum StatusFields {
    public static func balancer(
        _ balancer: JKBalancer.Balancer, record: BalancerRuntime, members: [MemberRuntime], mapCount: Int, rating: MemberRating,
        clock: StatusClock
    ) -> Record {
        let settings = balancer.settings.applying(record.settings)
        var r = Record()
        r.add("name", balancer.name)
        r.add("type", "lb")
        r.add("sticky_session", settings.stickySession)
        r.add("sticky_session_force", settings.stickySessionForce)
        r.add("retries", settings.retries)
        r.add("recover_time", settings.recoverTime.value / 1000)
        r.add("error_escalation_time", settings.errorEscalationTime.value / 1000)
        r.add("max_reply_timeouts", settings.maxReplyTimeouts)
        r.add("method", methodName(settings.method))
        r.add("lock", settings.pessimisticLock ? "Pessimistic" : "Optimistic")
        r.add("member_count", balancer.members.count)
        let counts = rating.count(members)
        r.add("good", counts.good)
        r.add("degraded", counts.degraded)
        r.add("bad", counts.bad)
        r.add("busy", max(0, Int(record.busy)))
        r.add("max_busy", max(0, Int(record.maxBusy)))
        r.add("map_count", mapCount)
        let maintenance = timeToMaintenance(balancer, record: record, clock: clock)
        r.add("time_to_maintenance_min", maintenance.min)
        r.add("time_to_maintenance_max", maintenance.max)
        r.add("last_reset_at", clock.unix(record.lastReset))
        r.add("last_reset_ago", clock.secondsSince(record.lastReset))
        return r
    }

    /// mod_jk's spelling of the methods on the status page ("Sessions", not "Session").
    public static func methodName(_ method: LoadBalancingMethodKind) -> String {
        method == .sessions ? "Sessions" : method.rawValue
    }

    /// Seconds until the next global maintenance, at the earliest and at the latest.
    static func timeToMaintenance(_ balancer: JKBalancer.Balancer, record: BalancerRuntime, clock: StatusClock) -> (min: Int, max: Int) {
        let interval = Int(max(balancer.settings.maintainInterval.value, 1000) / 1000)
        let since = record.lastMaintenance > 0 ? clock.secondsSince(record.lastMaintenance) : 0
        let first = max(0, interval - since)
        return (first, first + interval)
    }

    public static func member(
        _ ajp: AJPFacts, runtime: MemberRuntime, labels: MemberLabels, balancer: JKBalancer.Balancer, record: BalancerRuntime,
        clock: StatusClock
    ) -> Record {
        var r = ajpConfiguration(ajp)
        r.add("activation", runtime.activation.code)
        r.add("lbfactor", runtime.lbFactor)
        r.add("route", labels.route.string, quoted: true)
        r.add("redirect", labels.redirect.string, quoted: true)
        r.add("domain", labels.domain.string, quoted: true)
        r.add("distance", runtime.distance)
        r.add("state", runtime.state.label)
        r.add("lbmult", runtime.lbMult)
        r.add("lbvalue", runtime.lbValue)
        r.add("elected", runtime.elected)
        r.add("sessions", runtime.sessions)
        r.add("errors", runtime.errors)
        r.add("client_errors", runtime.clientErrors)
        r.add("reply_timeouts", runtime.replyTimeouts)
        r.add("transferred", runtime.bytesWritten)
        r.add("read", runtime.bytesRead)
        r.add("busy", max(0, Int(runtime.busy)))
        r.add("max_busy", max(0, Int(runtime.maxBusy)))
        r.add("connected", ajp.connected)
        r.add("max_connected", ajp.maxConnected)
        let recover = timeToRecover(runtime, balancer: balancer, record: record, clock: clock)
        r.add("time_to_recover_min", recover.min)
        r.add("time_to_recover_max", recover.max)
        r.add("last_reset_at", clock.unix(runtime.lastReset))
        r.add("last_reset_ago", clock.secondsSince(runtime.lastReset))
        addErrorTime(&r, runtime.lastErrorTime, clock: clock)
        return r
    }

    /// The four error-time fields mod_jk adds while a worker has an error time.
    static func addErrorTime(_ r: inout Record, _ milliseconds: Int64, clock: StatusClock) {
        guard milliseconds > 0 else { return }
        let unix = clock.unix(milliseconds)
        let civil = clock.civil(unix)
        r.add("error_time_datetime", civil.datetime)
        r.add("error_time_tz", civil.zone)
        r.add("error_time_unix_seconds", unix)
        r.add("error_time_ago", clock.secondsSince(milliseconds))
    }

    /// A plain ajp13 worker (`AJP Worker:`): configuration, then this child's counters.
    public static func ajpWorker(_ ajp: AJPFacts, counters: AJPCounters, mapCount: Int, clock: StatusClock) -> Record {
        var r = ajpConfiguration(ajp)
        r.add("used", counters.used)
        r.add("errors", counters.errors)
        r.add("client_errors", counters.clientErrors)
        r.add("reply_timeouts", counters.replyTimeouts)
        r.add("transferred", counters.transferred)
        r.add("read", counters.read)
        r.add("busy", counters.busy)
        r.add("max_busy", counters.maxBusy)
        r.add("connected", ajp.connected)
        r.add("max_connected", ajp.maxConnected)
        r.add("map_count", mapCount)
        r.add("last_reset_at", clock.unix(counters.lastReset))
        r.add("last_reset_ago", clock.secondsSince(counters.lastReset))
        addErrorTime(&r, counters.errorTime, clock: clock)
        return r
    }

    /// SwiftJK's own member values (json, html, prometheus).
    public static func memberExtras(_ runtime: MemberRuntime, member: JKBalancer.Balancer.Member, clock: StatusClock) -> Record {
        var r = Record()
        r.add("failovers", runtime.failovers)
        r.add("recoveries", runtime.recoveries)
        r.add("route_mismatches", runtime.routeMismatches)
        r.add("last_sticky_ago", runtime.lastStickyTime > 0 ? clock.secondsSince(runtime.lastStickyTime) : -1)
        r.add("drain_timeout", member.drainTimeout.value / 1000)
        let drainLeft: Int64
        if runtime.activation == .disabled, member.drainTimeout.value > 0, runtime.disabledSince > 0 {
            let quiet = max(runtime.disabledSince, runtime.lastStickyTime)
            drainLeft = (max(0, member.drainTimeout.value - (clock.monotonic.milliseconds &- quiet)) + 999) / 1000
        } else {
            drainLeft = -1
        }
        r.add("drain_stops_in", drainLeft)
        r.add("slow_start", member.slowStart.value / 1000)
        let ramp = member.slowStart.value
        let elapsed = clock.monotonic.milliseconds &- runtime.rampStart
        let percent = runtime.rampStart > 0 && ramp > 0 && elapsed < ramp ? Int(max(0, elapsed) * 100 / ramp) : 100
        r.add("slow_start_percent", percent)
        return r
    }

    /// Seconds until a member in error may be tried again (0 when not in error).
    static func timeToRecover(_ runtime: MemberRuntime, balancer: JKBalancer.Balancer, record: BalancerRuntime, clock: StatusClock) -> (min: Int, max: Int) {
        guard runtime.state == .error else { return (0, 0) }
        let settings = balancer.settings.applying(record.settings)
        let left = max(0, Int(settings.recoverTime.value / 1000) - clock.secondsSince(runtime.recoveryClockStart))
        let maintenance = timeToMaintenance(balancer, record: record, clock: clock)
        return (max(left, maintenance.min), max(left + maintenance.max - maintenance.min, maintenance.max))
    }

    /// The configuration part shared by members and plain ajp13 workers.
    public static func ajpConfiguration(_ ajp: AJPFacts) -> Record {
        var r = Record()
        r.add("name", ajp.name)
        r.add("type", "ajp13")
        r.add("host", ajp.host)
        r.add("port", ajp.port)
        r.add("address", ajp.address)
        r.add("source", ajp.source ?? "undefined")
        r.add("connection_pool_timeout", ajp.connectionPoolTimeout)
        r.add("ping_timeout", ajp.pingTimeout)
        r.add("connect_timeout", ajp.connectTimeout)
        r.add("prepost_timeout", ajp.prepostTimeout)
        r.add("reply_timeout", ajp.replyTimeout)
        r.add("retries", ajp.retries)
        r.add("connection_ping_interval", ajp.connectionPingInterval)
        r.add("recovery_options", ajp.recoveryOptions)
        r.add("busy_limit", ajp.busyLimit)
        r.add("max_packet_size", ajp.maxPacketSize)
        return r
    }

    public static func map(_ facts: MapFacts, id: Int) -> Record {
        var r = Record()
        r.add("id", id)
        r.add("server", facts.server, quoted: true)
        r.add("uri", facts.uri, quoted: true)
        r.add("type", facts.type, quoted: true)
        r.add("source", facts.source, quoted: true)
        r.add("reply_timeout", String(facts.replyTimeout), quoted: true)
        r.add("sticky_ignore", facts.stickyIgnore ? "1" : "0", quoted: true)
        r.add("stateless", facts.stateless ? "1" : "0", quoted: true)
        r.add("fail_on_status", facts.failOnStatus, quoted: true)
        r.add("active", facts.active, quoted: true)
        r.add("disabled", facts.disabled, quoted: true)
        r.add("stopped", facts.stopped, quoted: true)
        r.add("use_server_errors", String(facts.useServerErrors), quoted: true)
        return r
    }
}

/// mod_jk's good/degraded/bad rating of members (`good=` and `bad=` of the status worker).
///
/// A member is in one cell of activation (a, d, s) × state (o: OK, i: OK/IDLE, b: OK/BUSY,
/// r: recovering, e: ERR). A rule names cells: `a.o` one cell, `s` a row, `e` a column. A
/// member is bad when a bad rule names its cell, else good when a good rule does, else
/// degraded. Defaults: good `a.o,a.i,a.b,a.r`, bad `s,d.e,a.e`.
public struct MemberRating: Sendable, Equatable {
    public var good: UInt32
    public var bad: UInt32

    public static let defaultGood: UInt32 = 0x0000_000F
    public static let defaultBad: UInt32 = 0x00FF_1010

    public init(good: [String], bad: [String]) {
        self.good = good.isEmpty ? Self.defaultGood : Self.mask(good)
        self.bad = bad.isEmpty ? Self.defaultBad : Self.mask(bad)
    }

    /// The rules' cells as a bit mask (byte 0: active, 1: disabled, 2: stopped). A rule is one
    /// letter or `letter.letter` (both must hold); leading spaces, tabs and dots are skipped.
    public static func mask(_ rules: [String]) -> UInt32 {
        var mask: UInt32 = 0
        for rule in rules {
            let letters = rule.lowercased().drop { $0 == " " || $0 == "\t" || $0 == "." }
            var cells: UInt32 = 0x00FF_FFFF
            for part in letters.split(separator: ".") {
                guard let letter = part.first else { continue }
                cells &= Self.cells(letter)
            }
            mask |= cells
        }
        return mask
    }

    static func cells(_ letter: Character) -> UInt32 {
        switch letter {
        case "a": 0x0000_00FF
        case "d": 0x0000_FF00
        case "s": 0x00FF_0000
        case "o": 0x0101_0101
        case "i", "n": 0x0202_0202
        case "b": 0x0404_0404
        case "r": 0x0808_0808
        case "e": 0x1010_1010
        default: 0
        }
    }

    /// The member's cell bit.
    public static func bit(activation: Activation, state: MemberState) -> UInt32 {
        let column: UInt32
        switch state {
        case .ok: column = 0x01
        case .idle: column = 0x02
        case .busy: column = 0x04
        case .recovering, .forcedRecovery, .probing: column = 0x08
        case .error: column = 0x10
        }
        switch activation {
        case .active: return column
        case .disabled: return column << 8
        case .stopped: return column << 16
        }
    }

    public func count(_ members: [MemberRuntime]) -> (good: Int, degraded: Int, bad: Int) {
        var result = (good: 0, degraded: 0, bad: 0)
        for member in members {
            let bit = Self.bit(activation: member.activation, state: member.state)
            if bad & bit != 0 {
                result.bad += 1
            } else if good & bit != 0 {
                result.good += 1
            } else {
                result.degraded += 1
            }
        }
        return result
    }
}
