/// Choosing a member: `get_most_suitable_worker`, `find_bysession_route`, `find_best_byvalue`,
/// `find_best_bydomain`, `find_failover_worker` of `jk_lb_worker.c`.
///
/// Choosing reads the records and never changes them; `commit` then applies the side effects
/// of sending the request (recover → probe, `lb_value` increment, counters).
extension Balancer {
    public func choose<R: RandomAccessCollection<MemberRuntime>>(
        runtime: R, request: BalancingRequest, local: RequestMemberStates, offset: inout Int
    ) -> Choice? where R.Index == Int {
        guard runtime.count >= members.count, !members.isEmpty else { return nil }
        let view = MemberView(balancer: self, runtime: runtime, request: request, local: local)
        if members.count == 1 {
            // Single-member short cut: usable for sticky and not disabled → always chosen.
            guard view.isUsableSticky(0) else { return nil }
            if view.activation(0) != .disabled {
                return Choice(
                    member: 0, reason: .sticky,
                    requestedSession: request.sessionIDs?.firstIndex { SessionIdentifiers.route(of: $0) != nil })
            }
        }
        var requestedSession: Int?
        if let ids = request.sessionIDs {
            for (index, id) in ids.enumerated() {
                guard let route = SessionIdentifiers.route(of: id) else { continue }
                if requestedSession == nil { requestedSession = index }
                if var choice = bySessionRoute(route, view) {
                    choice.requestedSession = index
                    return choice
                }
            }
            if settings.stickySessionForce, !ids.isEmpty { return nil }
        }
        if let best = bestByValue(view, offset: &offset) {
            return Choice(member: best, reason: .balanced, requestedSession: requestedSession)
        }
        if let fallback = failoverWorker(view) {
            var choice = fallback
            choice.requestedSession = requestedSession
            return choice
        }
        return nil
    }

    /// `find_bysession_route`.
    func bySessionRoute<R>(_ route: Substring, _ view: MemberView<R>) -> Choice? {
        var reason: Choice.Reason
        var candidate: Int
        if let exact = index(ofRoute: route) {
            candidate = exact
            reason = .sticky
        } else if let inDomain = bestByDomain(domainOf(route), view) {
            candidate = inDomain
            reason = .domain
        } else {
            return nil
        }
        guard !view.isUsableSticky(candidate) else { return Choice(member: candidate, reason: reason) }
        // The session's member is in error or stopped.
        if settings.stickySessionForce { return nil }
        let failed = members[candidate]
        if !failed.redirect.isEmpty {
            guard let target = index(ofRoute: failed.redirect) else { return nil }
            reason = .redirect(from: candidate)
            candidate = target
        } else if !failed.domain.isEmpty, reason == .sticky {
            guard let target = bestByDomain(Substring(failed.domain), view) else { return nil }
            reason = .domain
            candidate = target
        } else {
            return nil
        }
        return view.isUsableSticky(candidate) ? Choice(member: candidate, reason: reason) : nil
    }

    /// The part of a route before its first `.`: the domain it may name.
    func domainOf(_ route: Substring) -> Substring {
        guard let dot = route.utf8.firstIndex(of: UInt8(ascii: ".")) else { return route }
        return route[..<dot]
    }

    /// `find_best_bydomain`: the usable member of `domain` with the lowest distance, then the
    /// lowest lb_value (first found on ties).
    func bestByDomain<R>(_ domain: Substring, _ view: MemberView<R>) -> Int? {
        guard !domain.isEmpty else { return nil }
        var candidate: Int?
        for index in members.indices where !members[index].domain.isEmpty && UTF8Bytes.equal(members[index].domain[...], domain) {
            guard view.isUsable(index) else { continue }
            if let current = candidate {
                let distance = members[index].distance
                let best = members[current].distance
                if distance < best || (distance == best && view.lbValue(index) < view.lbValue(current)) {
                    candidate = index
                }
            } else {
                candidate = index
            }
        }
        return candidate
    }

    /// `find_best_byvalue`: scanning from the rotating offset, the usable member with the lowest
    /// distance, then the strictly lowest lb_value, so ties go round robin. Stateless requests
    /// take the first usable member after the offset (pure rotation).
    func bestByValue<R>(_ view: MemberView<R>, offset: inout Int) -> Int? {
        let count = members.count
        let start = ((offset % count) + count) % count
        var candidate: Int?
        var nextOffset = offset
        for step in 0..<count {
            let index = (start + step) % count
            guard view.isUsable(index) else { continue }
            if let current = candidate {
                let distance = members[index].distance
                let best = members[current].distance
                let lower = !view.request.stateless && view.lbValue(index) < view.lbValue(current) && distance == best
                if distance < best || lower {
                    candidate = index
                    nextOffset = index + 1
                }
            } else {
                candidate = index
                nextOffset = index + 1
            }
        }
        offset = nextOffset % count
        return candidate
    }

    /// `find_failover_worker`: when nothing is usable, the route named by the first member that
    /// has a `redirect`.
    func failoverWorker<R>(_ view: MemberView<R>) -> Choice? {
        guard let withRedirect = members.first(where: { !$0.redirect.isEmpty }) else { return nil }
        guard var choice = bySessionRoute(Substring(withRedirect.redirect), view) else { return nil }
        choice.reason = .failoverRedirect
        return choice
    }
}

/// The state of members as one request sees it: shared records, its own failures, and per-mount
/// activation overrides ("effective activation" is computed in exactly one place).
struct MemberView<R: RandomAccessCollection<MemberRuntime>> where R.Index == Int {
    let balancer: Balancer
    let runtime: R
    let request: BalancingRequest
    let local: RequestMemberStates

    func activation(_ index: Int) -> Activation {
        if let overrides = request.activationOverrides, index < overrides.count, let value = overrides[index] {
            return value
        }
        return runtime[runtime.startIndex + index].activation
    }

    func state(_ index: Int) -> MemberState {
        let record = runtime[runtime.startIndex + index]
        let limit = balancer.members[index].busyLimit
        if limit > 0 && Int(record.busy) >= limit && record.state.isUsable { return .busy }
        return local.state(index, shared: record.state)
    }

    func lbValue(_ index: Int) -> UInt64 { runtime[runtime.startIndex + index].lbValue }

    func isUsable(_ index: Int) -> Bool { state(index).isUsable(for: activation(index)) }
    func isUsableSticky(_ index: Int) -> Bool { state(index).isUsableSticky(for: activation(index)) }
}
