import JKBalancer
import JKCore

/// An operator's runtime change, carried over a graceful restart.
///
/// mod_jk forgets status-worker changes at every restart: a member drained for a deploy takes
/// traffic again after a `graceful`. SwiftJK writes the changed settings next to the JkShmFile
/// when the generation ends and applies them to the next one, but only where workers.properties
/// still says what it said when the change was made: an edited file wins over a runtime change.
public struct CarriedChange: Equatable, Sendable {
    public var lb: String
    /// "" for a setting of the lb itself.
    public var member: String
    public var field: String
    /// The configured value when the change was made (as written in this file).
    public var configured: String
    public var value: String

    public init(lb: String, member: String, field: String, configured: String, value: String) {
        self.lb = lb
        self.member = member
        self.field = field
        self.configured = configured
        self.value = value
    }

    var description: String {
        "\(member.isEmpty ? "lb \(lb)" : "member \(member) of \(lb)") \(field)=\(value) (workers.properties: \(configured))"
    }
}

public enum CarriedChanges {
    /// The changed settings of one lb (the `changed` bits of its shared records).
    public static func collect(
        _ balancer: Balancer, record: BalancerRuntime, members: [MemberRuntime], labels: [MemberLabels]
    ) -> [CarriedChange] {
        var changes: [CarriedChange] = []
        let configured = SettingValues.lb(balancer.settings.shared)
        let current = SettingValues.lb(record.settings)
        for (bit, field) in SettingValues.lbFields where record.changed & bit != 0 {
            changes.append(CarriedChange(lb: balancer.name, member: "", field: field, configured: configured[field] ?? "", value: current[field] ?? ""))
        }
        for index in balancer.members.indices where index < members.count && index < labels.count {
            let member = balancer.members[index]
            let was = SettingValues.member(member)
            let now = SettingValues.member(members[index], labels[index])
            for (bit, field) in SettingValues.memberFields where members[index].changed & bit != 0 {
                changes.append(CarriedChange(lb: balancer.name, member: member.name, field: field, configured: was[field] ?? "", value: now[field] ?? ""))
            }
        }
        return changes
    }

    /// One change a line: `lb TAB member TAB field TAB configured TAB value`.
    public static func encode(_ changes: [CarriedChange]) -> String {
        var text = "# SwiftJK: status-worker changes carried over a graceful restart (read once, then removed)\n"
        for change in changes {
            let fields = [change.lb, change.member, change.field, change.configured, change.value]
            guard !fields.contains(where: { $0.contains("\t") || $0.contains("\n") || $0.contains("\r") }) else { continue }
            text += fields.joined(separator: "\t") + "\n"
        }
        return text
    }

    public static func decode(_ text: String) -> [CarriedChange] {
        var changes: [CarriedChange] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 5 else { continue }
            changes.append(CarriedChange(lb: parts[0], member: parts[1], field: parts[2], configured: parts[3], value: parts[4]))
        }
        return changes
    }

    /// Applies the changes that still fit this lb's configuration to its fresh shared records.
    /// Returns a line per change for the jk log: kept, or dropped and why.
    public static func apply(
        _ changes: [CarriedChange], to balancer: Balancer, record: inout BalancerRuntime,
        members: UnsafeMutableBufferPointer<MemberRuntime>, labels: UnsafeMutableBufferPointer<MemberLabels>, now: Timestamp
    ) -> [String] {
        var lines: [String] = []
        for change in changes where change.lb == balancer.name {
            if change.member.isEmpty {
                let configured = SettingValues.lb(balancer.settings.shared)[change.field]
                guard configured == change.configured else {
                    lines.append("not carried over: \(change.description); workers.properties now says \(configured ?? "nothing")")
                    continue
                }
                guard SettingValues.setLB(change.field, change.value, &record.settings) else { continue }
                record.changed |= SettingValues.lbFields.first { $0.1 == change.field }?.0 ?? 0
                lines.append("carried over the restart: \(change.description)")
                continue
            }
            guard let index = balancer.members.firstIndex(where: { $0.name == change.member }), index < members.count, index < labels.count else {
                lines.append("not carried over: \(change.description); the member is gone")
                continue
            }
            let configured = SettingValues.member(balancer.members[index])[change.field]
            guard configured == change.configured else {
                lines.append("not carried over: \(change.description); workers.properties now says \(configured ?? "nothing")")
                continue
            }
            var member = members[index]
            var label = labels[index]
            guard SettingValues.setMember(change.field, change.value, &member, &label, balancer: balancer, now: now) else { continue }
            member.changed |= SettingValues.memberFields.first { $0.1 == change.field }?.0 ?? 0
            members[index] = member
            labels[index] = label
            lines.append("carried over the restart: \(change.description)")
        }
        // lbfactor changes: the multipliers follow all factors.
        let mults = Balancer.multipliers(for: members.map { Int($0.lbFactor) })
        for index in members.indices where index < mults.count { members[index].lbMult = mults[index] }
        return lines
    }
}

/// The editable settings as text, by the field names the status worker uses.
enum SettingValues {
    static let lbFields: [(UInt16, String)] = [
        (OperatorChange.retries, "retries"), (OperatorChange.recoverTime, "recover_time"),
        (OperatorChange.errorEscalationTime, "error_escalation_time"), (OperatorChange.maxReplyTimeouts, "max_reply_timeouts"),
        (OperatorChange.stickySession, "sticky_session"), (OperatorChange.stickySessionForce, "sticky_session_force"),
        (OperatorChange.method, "method"), (OperatorChange.lock, "lock"),
    ]
    static let memberFields: [(UInt16, String)] = [
        (OperatorChange.activation, "activation"), (OperatorChange.lbFactor, "lbfactor"), (OperatorChange.route, "route"),
        (OperatorChange.redirect, "redirect"), (OperatorChange.domain, "domain"), (OperatorChange.distance, "distance"),
    ]

    static func lb(_ s: SharedSettings) -> [String: String] {
        [
            "retries": String(s.retries), "recover_time": String(s.recoverTime / 1000),
            "error_escalation_time": String(s.errorEscalationTime / 1000), "max_reply_timeouts": String(s.maxReplyTimeouts),
            "sticky_session": s.stickySession != 0 ? "True" : "False", "sticky_session_force": s.stickySessionForce != 0 ? "True" : "False",
            "method": methodName(s.methodRaw), "lock": s.pessimisticLock != 0 ? "Pessimistic" : "Optimistic",
        ]
    }

    static func methodName(_ raw: UInt8) -> String {
        let all = LoadBalancingMethodKind.allCases
        return Int(raw) < all.count ? all[Int(raw)].rawValue : "Request"
    }

    static func member(_ m: Balancer.Member) -> [String: String] {
        [
            "activation": m.activation.code, "lbfactor": String(m.lbFactor), "route": m.route, "redirect": m.redirect,
            "domain": m.domain, "distance": String(m.distance),
        ]
    }

    static func member(_ r: MemberRuntime, _ l: MemberLabels) -> [String: String] {
        [
            "activation": r.activation.code, "lbfactor": String(r.lbFactor), "route": l.route.string,
            "redirect": l.redirect.string, "domain": l.domain.string, "distance": String(r.distance),
        ]
    }

    static func setLB(_ field: String, _ value: String, _ s: inout SharedSettings) -> Bool {
        switch field {
        case "retries": guard let v = Int32(value), v >= 1 else { return false }; s.retries = v
        case "recover_time": guard let v = Int64(value), v >= 0, v <= 86_400 else { return false }; s.recoverTime = v * 1000
        case "error_escalation_time": guard let v = Int64(value), v >= 0, v <= 86_400 else { return false }; s.errorEscalationTime = v * 1000
        case "max_reply_timeouts": guard let v = Int32(value), v >= 0 else { return false }; s.maxReplyTimeouts = v
        case "sticky_session": s.stickySession = value == "True" ? 1 : 0
        case "sticky_session_force": s.stickySessionForce = value == "True" ? 1 : 0
        case "method":
            guard let kind = LoadBalancingMethodKind(parsing: value), let raw = LoadBalancingMethodKind.allCases.firstIndex(of: kind) else { return false }
            s.methodRaw = UInt8(raw)
        case "lock": s.pessimisticLock = value.hasPrefix("P") ? 1 : 0
        default: return false
        }
        return true
    }

    static func setMember(
        _ field: String, _ value: String, _ r: inout MemberRuntime, _ l: inout MemberLabels, balancer: Balancer, now: Timestamp
    ) -> Bool {
        switch field {
        case "activation":
            guard let activation = Activation(parsing: value) else { return false }
            r.activation = activation
            r.disabledSince = activation == .disabled ? now.milliseconds : 0
        case "lbfactor": guard let v = UInt32(value), v >= 1 else { return false }; r.lbFactor = v
        case "route": guard let text = FixedText(exactly: value) else { return false }; l.route = text
        case "redirect": guard let text = FixedText(exactly: value) else { return false }; l.redirect = text
        case "domain": guard let text = FixedText(exactly: value) else { return false }; l.domain = text
        case "distance": guard let v = Int32(value) else { return false }; r.distance = v
        default: return false
        }
        return true
    }
}

extension CarriedChanges {
    /// An ajp13 worker's changed settings (member == worker name, lb == "").
    public static func collectAJP(_ worker: String, configured: AJPSharedSettings, current: AJPSharedSettings) -> [CarriedChange] {
        let was = AJPChange.values(configured)
        let now = AJPChange.values(current)
        return AJPChange.fields.filter { current.changed & $0.0 != 0 }.map { _, field in
            CarriedChange(lb: "", member: worker, field: field, configured: was[field] ?? "", value: now[field] ?? "")
        }
    }

    /// Applies the saved ajp13 changes of `worker` whose configured value is unchanged.
    public static func applyAJP(_ changes: [CarriedChange], worker: String, configured: AJPSharedSettings, to record: inout AJPSharedSettings) -> [String] {
        var lines: [String] = []
        let was = AJPChange.values(configured)
        for change in changes where change.lb.isEmpty && change.member == worker {
            guard was[change.field] == change.configured else {
                lines.append("not carried over: ajp13 worker \(worker) \(change.field)=\(change.value) (workers.properties: \(change.configured)); workers.properties now says \(was[change.field] ?? "nothing")")
                continue
            }
            guard let parsed = AJPChange.parse(field: change.field, value: change.value), parsed.apply(to: &record) != nil else { continue }
            lines.append("carried over the restart: ajp13 worker \(worker) \(change.field)=\(change.value) (workers.properties: \(change.configured))")
        }
        return lines
    }
}
