import JKBalancer
import JKStatus

/// `cmd=update`: every value is validated before anything changes, then written to the shared
/// records (lb settings, member settings, ajp13 settings) and pulled by this child at once; the
/// others pull at their next request. Returns the jk-log texts ("member was1 of worker1:
/// activation ACT → DIS").
enum StatusUpdates {
    static func apply(
        _ request: StatusRequest, to worker: WorkerPlan, members: [Int]?, runtime: Runtime, shared: SharedBalancerState
    ) -> Result<[String], StatusError> {
        switch worker {
        case .ajp(let ajp):
            if let foreign = request.values.first(where: { !$0.name.hasPrefix("va") }) {
                return .failure(StatusError(400, "\(foreign.name) does not apply to an ajp13 worker"))
            }
            let changes: [AJPChange]
            switch StatusUpdate.ajpChanges(request.values, fixed: fixedValues(ajp)) {
            case .success(let parsed): changes = parsed
            case .failure(let error): return .failure(error)
            }
            let lines = StatusActions.updateAJP(ajp.name, changes: changes, shared: shared).map { "ajp13 worker \(ajp.name): \($0)" }
            runtime.pullAJPSettings()
            return .success(lines)
        case .lb(let lb):
            var lines: [String] = []
            var updates: [(member: [Int], name: String, value: String)]?
            if let members {
                updates = request.values.map { (members, $0.name, $0.value) }
            } else if let attribute = request.attribute {
                // `att=` over all members: val0, val1, … one per member.
                var list: [(member: [Int], name: String, value: String)] = []
                for (name, value) in request.values {
                    guard name.hasPrefix("val"), let index = Int(name.dropFirst(3)), index >= 0, index < lb.configured.members.count else {
                        return .failure(StatusError(400, "\(name) does not name a member (val0 … val\(lb.configured.members.count - 1))"))
                    }
                    list.append(([index], attribute, value))
                }
                updates = list
            }
            if let updates {
                do {
                    lines = try memberUpdates(updates, lb: lb, runtime: runtime, shared: shared)
                } catch {
                    return .failure(error)
                }
            } else {
                let changes: [LBChange]
                switch StatusUpdate.lbChanges(request.values, fixed: ["vlri": String(lb.settings.retryInterval.value)]) {
                case .success(let parsed): changes = parsed
                case .failure(let error): return .failure(error)
                }
                lines = StatusActions.updateBalancer(lb, changes: changes, shared: shared).map { "lb \(lb.name): \($0)" }
            }
            runtime.pullAJPSettings()
            runtime.pull(lb, shared)
            return .success(lines)
        case .status:
            return .failure(StatusError(400, "Update failed"))
        }
    }

    /// Member values (`vw*`) and their ajp13 settings (`va*`) for the given members: all
    /// validated first, then applied.
    static func memberUpdates(
        _ updates: [(member: [Int], name: String, value: String)], lb: LBPlan, runtime: Runtime, shared: SharedBalancerState
    ) throws(StatusError) -> [String] {
        let names = lb.configured.members.map(\.name)
        var memberChanges: [(Int, MemberChange)] = []
        var ajpChanges: [(Int, AJPChange)] = []
        for update in updates {
            for member in update.member {
                if update.name.hasPrefix("va") {
                    var fixed: [String: String] = [:]
                    let plans = runtime.configuration.plans
                    if member < lb.memberWorkers.count, plans.indices.contains(lb.memberWorkers[member]),
                        case .ajp(let ajp) = plans[lb.memberWorkers[member]]
                    {
                        fixed = fixedValues(ajp)
                    }
                    switch StatusUpdate.ajpChanges([(update.name, update.value)], fixed: fixed) {
                    case .success(let parsed): ajpChanges += parsed.map { (member, $0) }
                    case .failure(let error): throw error
                    }
                } else {
                    switch StatusUpdate.memberChanges([(update.name, update.value)], member: names[member]) {
                    case .success(let parsed): memberChanges += parsed.map { (member, $0) }
                    case .failure(let error): throw error
                    }
                }
            }
        }
        var lines: [String] = []
        for (member, change) in memberChanges {
            lines += StatusActions.updateMember(lb, member: member, changes: [change], shared: shared)
                .map { "member \(names[member]) of \(lb.name): \($0)" }
        }
        var busyLimitChanged = false
        for (member, change) in ajpChanges {
            let texts = StatusActions.updateAJP(names[member], changes: [change], shared: shared)
            if case .busyLimit = change, !texts.isEmpty { busyLimitChanged = true }
            lines += texts.map { "member \(names[member]) of \(lb.name): \($0)" }
        }
        // busy_limit is part of the balancer's choice: every child rebuilds it.
        if busyLimitChanged { shared.withBalancer(lb.sharedSlot) { record, _ in record.sequence &+= 1 } }
        return lines
    }

    /// The ajp13 settings SwiftJK does not change at runtime, as mod_jk's edit form fills them in.
    static func fixedValues(_ ajp: AJPPlan) -> [String: String] {
        ["vahst": ajp.host, "vaprt": String(ajp.port), "vamps": String(ajp.settings.maxPacketSize),
         "vari": String(ajp.settings.retryInterval.value)]
    }
}
