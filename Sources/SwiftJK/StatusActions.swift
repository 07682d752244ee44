import JKBalancer
import JKCore
import JKPosix
import JKStatus

/// The status worker's changes (`update`, `reset`, `recover`) applied to the shared records:
/// every child pulls them at its next request (the sequence moves), and the parent carries
/// them over a graceful restart. Each returns the jk-log lines that say what changed.
enum StatusActions {
    /// Member changes; returns "field old → new" texts, or an error.
    static func updateMember(_ lb: LBPlan, member: Int, changes: [MemberChange], shared: SharedBalancerState) -> [String] {
        let now = SystemClock.now()
        let balancer = lb.configured
        return shared.withBalancerAndLabels(lb.sharedSlot) { record, members, labels -> [String] in
            guard member < members.count, member < labels.count else { return [] }
            var texts: [String] = []
            for change in changes {
                switch change {
                case .activation(let activation):
                    let before = members[member].activation
                    guard before != activation else { continue }
                    balancer.setActivation(activation, member: member, runtime: &members, now: now)
                    texts.append("activation \(before.code) → \(activation.code)")
                case .lbFactor(let factor):
                    let before = members[member].lbFactor
                    guard Int(before) != factor else { continue }
                    balancer.setLBFactor(factor, member: member, runtime: &members)
                    texts.append("lbfactor \(before) → \(factor)")
                case .route(let text):
                    texts += setLabel(\.route, text, "route", OperatorChange.route, member, &members, &labels)
                    // As mod_jk: a member without a domain takes the route's part before a dot.
                    if labels[member].domain.string.isEmpty, let dot = text.firstIndex(of: ".") {
                        texts += setLabel(\.domain, String(text[..<dot]), "domain", OperatorChange.domain, member, &members, &labels)
                    }
                case .redirect(let text):
                    texts += setLabel(\.redirect, text, "redirect", OperatorChange.redirect, member, &members, &labels)
                case .domain(let text):
                    texts += setLabel(\.domain, text, "domain", OperatorChange.domain, member, &members, &labels)
                case .distance(let distance):
                    let before = members[member].distance
                    guard Int(before) != distance else { continue }
                    members[member].distance = Int32(clamping: distance)
                    members[member].changed |= OperatorChange.distance
                    texts.append("distance \(before) → \(distance)")
                }
            }
            if !texts.isEmpty { record.sequence &+= 1 }
            return texts
        } ?? []
    }

    static func setLabel(
        _ path: WritableKeyPath<MemberLabels, FixedText>, _ text: String, _ name: String, _ bit: UInt16, _ member: Int,
        _ members: inout UnsafeMutableBufferPointer<MemberRuntime>, _ labels: inout UnsafeMutableBufferPointer<MemberLabels>
    ) -> [String] {
        let before = labels[member][keyPath: path].string
        guard before != text, let fixed = FixedText(exactly: text) else { return [] }
        labels[member][keyPath: path] = fixed
        members[member].changed |= bit
        return ["\(name) \"\(before)\" → \"\(text)\""]
    }

    static func updateBalancer(_ lb: LBPlan, changes: [LBChange], shared: SharedBalancerState) -> [String] {
        shared.withBalancer(lb.sharedSlot) { record, _ -> [String] in
            var texts: [String] = []
            var s = record.settings
            for change in changes {
                let before = s
                switch change {
                case .retries(let v): s.retries = Int32(clamping: v)
                case .recoverTime(let v): s.recoverTime = Int64(v) * 1000
                case .errorEscalationTime(let v): s.errorEscalationTime = Int64(v) * 1000
                case .maxReplyTimeouts(let v): s.maxReplyTimeouts = Int32(clamping: v)
                case .stickySession(let v): s.stickySession = v ? 1 : 0
                case .stickySessionForce(let v): s.stickySessionForce = v ? 1 : 0
                case .method(let kind): s.methodRaw = UInt8(LoadBalancingMethodKind.allCases.firstIndex(of: kind) ?? 0)
                case .pessimisticLock(let v): s.pessimisticLock = v ? 1 : 0
                }
                guard before != s else { continue }
                let old = Self.settingText(change.field, before)
                let new = Self.settingText(change.field, s)
                record.changed |= bit(change)
                texts.append("\(change.field) \(old) → \(new)")
            }
            record.settings = s
            if !texts.isEmpty { record.sequence &+= 1 }
            return texts
        } ?? []
    }

    static func bit(_ change: LBChange) -> UInt16 {
        switch change {
        case .retries: OperatorChange.retries
        case .recoverTime: OperatorChange.recoverTime
        case .errorEscalationTime: OperatorChange.errorEscalationTime
        case .maxReplyTimeouts: OperatorChange.maxReplyTimeouts
        case .stickySession: OperatorChange.stickySession
        case .stickySessionForce: OperatorChange.stickySessionForce
        case .method: OperatorChange.method
        case .pessimisticLock: OperatorChange.lock
        }
    }

    static func settingText(_ field: String, _ s: SharedSettings) -> String {
        switch field {
        case "retries": String(s.retries)
        case "recover_time": "\(s.recoverTime / 1000)"
        case "error_escalation_time": "\(s.errorEscalationTime / 1000)"
        case "max_reply_timeouts": String(s.maxReplyTimeouts)
        case "sticky_session": s.stickySession != 0 ? "True" : "False"
        case "sticky_session_force": s.stickySessionForce != 0 ? "True" : "False"
        case "method": Balancer.Settings().applying(s).method.rawValue
        default: s.pessimisticLock != 0 ? "Pessimistic" : "Optimistic"
        }
    }

    /// `cmd=reset` (mod_jk's `reset_worker`): the counters of one member, or of the lb and
    /// all its members, start again; such members are OK/IDLE with no error time and a zero
    /// load value. Activation, busy and configuration are kept.
    static func reset(_ lb: LBPlan, member: Int?, shared: SharedBalancerState) {
        let now = SystemClock.now()
        shared.withBalancer(lb.sharedSlot) { record, members in
            if member == nil {
                record.maxBusy = 0
                record.failovers = 0
                record.unknownRoutes = 0
                record.lastReset = now.milliseconds
            }
            for index in members.indices where member == nil || member == index {
                Balancer.resetCounters(&members[index], now: now)
            }
        }
    }

    /// `cmd=recover`: a member in ERR is marked for recovery (ERR/REC). False when it was not.
    static func recover(_ lb: LBPlan, member: Int, shared: SharedBalancerState) -> Bool {
        let balancer = lb.balancer
        return shared.withBalancer(lb.sharedSlot) { _, members -> Bool in
            balancer.markForRecovery(member: member, runtime: &members)
        } ?? false
    }
}

extension StatusActions {
    /// An ajp13 worker's (or lb member's) settings; returns "field old → new" texts.
    static func updateAJP(_ worker: String, changes: [AJPChange], shared: SharedBalancerState) -> [String] {
        shared.withAJPSettings(worker) { record -> ([String], Bool) in
            var texts: [String] = []
            for change in changes {
                if let (old, new) = change.apply(to: &record) { texts.append("\(change.field) \(old) → \(new)") }
            }
            return (texts, !texts.isEmpty)
        } ?? []
    }
}
