import JKBalancer
import Testing

struct FailureCauseTests {
    /// Which member errors a watchdog CPONG may end early; the others wait for recover_time.
    @Test(arguments: [
        (FailureCause.connectRefused, true), (.connectTimeout, true), (.cpingTimeout, true), (.reset, true),
        (.notAJP, true), (.hung, true), (.other, true), (.replyTimeout, false), (.protocolError, false),
        (.failOnStatus, false),
    ])
    func curedByCPONG(cause: FailureCause, cured: Bool) {
        #expect(cause.isCuredByCPONG == cured)
    }
}
