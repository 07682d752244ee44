import JKRouting
import Testing

/// May a failed attempt be repeated: the rules of SwiftJK's replay policy.
struct RetryPolicyTests {
    @Test func replayRules() {
        #expect(RetryPolicy.mayRetry(method: "GET", hasBody: false, bodyReplayable: true, requestSent: true, responseStarted: false, recoveryOptions: 0))
        #expect(!RetryPolicy.mayRetry(method: "POST", hasBody: true, bodyReplayable: true, requestSent: true, responseStarted: false, recoveryOptions: 0))
        #expect(RetryPolicy.mayRetry(method: "POST", hasBody: true, bodyReplayable: true, requestSent: false, responseStarted: false, recoveryOptions: 0))
        #expect(!RetryPolicy.mayRetry(method: "GET", hasBody: false, bodyReplayable: true, requestSent: true, responseStarted: true, recoveryOptions: 0))
        #expect(!RetryPolicy.mayRetry(method: "GET", hasBody: false, bodyReplayable: true, requestSent: true, responseStarted: false, recoveryOptions: 1))
        #expect(RetryPolicy.mayRetry(method: "GET", hasBody: false, bodyReplayable: true, requestSent: true, responseStarted: false, recoveryOptions: 17))
        #expect(!RetryPolicy.mayRetry(method: "PUT", hasBody: true, bodyReplayable: false, requestSent: false, responseStarted: false, recoveryOptions: 0))
    }
}
