/// May a failed attempt be repeated (on a fresh connection or another member)?
///
/// SwiftJK's policy, stricter than mod_jk's default (which replays a POST's first body packet):
/// - never once response headers reached the client, or once request body beyond the buffered
///   first packet was consumed;
/// - always when the request provably never reached the container (connect, CPING or send
///   failed, or a pooled connection was found closed before use);
/// - otherwise only for idempotent methods without a body (GET, HEAD, OPTIONS, TRACE, PUT and
///   DELETE without a body);
/// - `recovery_options` 1 forbids retrying once the request was sent and before the container
///   sent response headers, except that 8 (HEAD) and 16 (GET) re-allow those methods; a failure
///   after the headers is bit 2's to forbid (a response that never left httpd is then
///   forgotten and the request goes elsewhere), as in mod_jk 1.2.48, which checks bit 1 only
///   while no headers have arrived.
public enum RetryPolicy {
    public static let abortIfRequestSent = 1
    public static let abortIfResponseStarted = 2
    public static let closeBackendOnClientError = 4
    public static let alwaysRetryHEAD = 8
    public static let alwaysRetryGET = 16

    public static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE": true
        default: false
        }
    }

    public static func mayRetry(
        method: String, hasBody: Bool, bodyReplayable: Bool, requestSent: Bool, responseStarted: Bool,
        recoveryOptions: Int, headersArrived: Bool = false
    ) -> Bool {
        if responseStarted || !bodyReplayable { return false }
        if !requestSent { return true }
        if method == "HEAD" && recoveryOptions & alwaysRetryHEAD != 0 { return true }
        if method == "GET" && recoveryOptions & alwaysRetryGET != 0 { return true }
        if recoveryOptions & abortIfRequestSent != 0 && !headersArrived { return false }
        return isIdempotent(method) && !hasBody
    }
}
