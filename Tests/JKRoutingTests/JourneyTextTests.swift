import JKBalancer
import JKCore
import JKRouting
import Testing

/// The 503 lines and the `why` of the request line, word for word.
struct JourneyTextTests {
    static let names = ["was1", "was2"]
    static func name(_ index: Int) -> String { index < names.count ? names[index] : "?" }

    static func unavailable(_ reason: RequestJourney.Unavailable.Reason, _ failedOver: [Int]) -> String {
        JourneyText.unavailable(
            .init(reason: reason, failedOver: failedOver), lb: "worker1", method: "GET", path: "/a.jsp", routeSource: "cookie",
            name: name, states: { "was1 ERR, was2 ERR" })
    }

    @Test func exhausted() {
        #expect(Self.unavailable(.exhausted, [0, 1]) == "lb worker1: all members failed for GET /a.jsp (tried was1, was2; was1 ERR, was2 ERR) → 503")
        #expect(Self.unavailable(.exhausted, []) == "lb worker1: all members failed for GET /a.jsp (no usable member; was1 ERR, was2 ERR) → 503")
    }

    @Test func rejected() {
        #expect(Self.unavailable(.allRejected, [0, 1]) == "lb worker1: all members answered a fail_on_status code (was1, was2) → 503")
    }

    @Test func stickyForced() {
        #expect(Self.unavailable(.stickyForced(route: "was1"), [0]) == "lb worker1: GET /a.jsp: the session's route 'was1' (cookie) has no usable member and sticky_session_force is set, so no failover (tried was1; was1 ERR, was2 ERR) → 503")
    }

    @Test func why() {
        let sticky = Choice(member: 0, reason: .sticky, requestedSession: 0)
        #expect(JourneyText.why(sticky, requestedRoute: "was1", domain: "", failedOver: [], name: Self.name) == "sticky")
        let balanced = Choice(member: 1, reason: .balanced, requestedSession: 0)
        #expect(JourneyText.why(balanced, requestedRoute: "was1", domain: "", failedOver: [0], name: Self.name) == "balanced by lb_value (session route was1 not usable), failover from was1")
        #expect(JourneyText.why(Choice(member: 1, reason: .balanced), requestedRoute: nil, domain: "", failedOver: [], name: Self.name) == "balanced by lb_value")
        #expect(JourneyText.why(Choice(member: 1, reason: .redirect(from: 0)), requestedRoute: nil, domain: "", failedOver: [], name: Self.name) == "redirect from was1")
        #expect(JourneyText.why(Choice(member: 1, reason: .domain), requestedRoute: "dc1.x", domain: "dc1", failedOver: [], name: Self.name) == "domain dc1")
        #expect(JourneyText.unavailableWhy(.init(reason: .exhausted, failedOver: [0, 1]), name: Self.name) == "failover from was1,was2, none left")
        #expect(JourneyText.unavailableWhy(.init(reason: .exhausted, failedOver: []), name: Self.name) == "no usable member")
    }
}
