import JKBalancer

/// The texts of an lb request's journey: why a member was chosen (debug request line) and why
/// a request got a 503 (error line). One place, so a log line and a test read the same words.
public enum JourneyText {
    /// The 503 line: `lb worker1: all members failed for GET /x (tried was1, was2; was1 ERR, was2 ERR) → 503`.
    /// `states` is asked only when the text needs the members' states.
    public static func unavailable(
        _ unavailable: RequestJourney.Unavailable, lb: String, method: String, path: String, routeSource: String?,
        name: (Int) -> String, states: () -> String
    ) -> String {
        let names = unavailable.failedOver.map(name)
        switch unavailable.reason {
        case .stickyForced(let route):
            let tried = names.isEmpty ? "" : "tried \(names.joined(separator: ", ")); "
            return "lb \(lb): \(method) \(path): the session's route '\(route)' (\(routeSource ?? "session")) has no usable member and sticky_session_force is set, so no failover (\(tried)\(states())) → 503"
        case .allRejected:
            return "lb \(lb): all members answered a fail_on_status code (\(names.joined(separator: ", "))) → 503"
        case .exhausted:
            let tried = names.isEmpty ? "no usable member" : "tried \(names.joined(separator: ", "))"
            return "lb \(lb): all members failed for \(method) \(path) (\(tried); \(states())) → 503"
        }
    }

    /// The request line's `why` for a 503.
    public static func unavailableWhy(_ unavailable: RequestJourney.Unavailable, name: (Int) -> String) -> String {
        unavailable.failedOver.isEmpty
            ? "no usable member" : "failover from \(unavailable.failedOver.map(name).joined(separator: ",")), none left"
    }

    /// The request line's `why` for a served request: how the member was chosen, and the
    /// members failed over from before it. `requestedRoute` is the route the session asked for
    /// and `domain` the chosen member's domain (`Choice` keeps neither text).
    public static func why(
        _ choice: Choice, requestedRoute: Substring?, domain: String, failedOver: [Int], name: (Int) -> String
    ) -> String {
        var text: String
        switch choice.reason {
        case .sticky: text = "sticky"
        case .redirect(let from): text = "redirect from \(name(from))"
        case .domain: text = "domain \(domain)"
        case .balanced:
            text = requestedRoute.map { "balanced by lb_value (session route \($0) not usable)" } ?? "balanced by lb_value"
        case .failoverRedirect: text = "failover redirect"
        }
        if !failedOver.isEmpty { text += ", failover from \(failedOver.map(name).joined(separator: ","))" }
        return text
    }
}
