/// `JkRequestLogFormat`: one line per request in the jk log (mod_jk's `request_log_transaction`).
///
/// | Field | Value |
/// |---|---|
/// | `%b` | response body bytes, `-` for none | `%B` | response body bytes |
/// | `%H` | protocol | `%m` | method | `%p` | server port |
/// | `%q` | `?query` or empty | `%r` | the request line | `%s` | status |
/// | `%T` | duration, seconds.microseconds | `%U` | URL path | `%v` | canonical server name |
/// | `%V` | server name of the request | `%w` | worker name | `%R` | route of the member that served |
enum RequestLogLine {
    static func format(
        _ format: String, facts: RequestFacts, status: Int, bytes: Int64, durationMicroseconds: Int64, worker: String,
        route: String?
    ) -> String {
        var line = ""
        var iterator = format.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                line.append(character)
                continue
            }
            guard let field = iterator.next() else { break }
            switch field {
            case "b": line += bytes > 0 ? String(bytes) : "-"
            case "B": line += String(bytes)
            case "H": line += facts.protocolVersion
            case "m": line += facts.method
            case "p": line += String(facts.serverPort)
            case "q": line += facts.queryString.map { "?\($0)" } ?? ""
            case "r": line += facts.requestLine ?? "\(facts.method) \(facts.uri) \(facts.protocolVersion)"
            case "s": line += String(status)
            case "T": line += seconds(microseconds: durationMicroseconds)
            case "U": line += facts.uri
            case "v": line += facts.canonicalName ?? facts.serverName
            case "V": line += facts.serverName
            case "w": line += worker
            case "R": line += route ?? "-"
            case "%": line += "%"
            default: line += "%\(field)"
            }
        }
        return line
    }

    /// `sec.uuuuuu`, as mod_jk writes durations (`%T`, the JK_REQUEST_DURATION note).
    static func seconds(microseconds: Int64) -> String {
        let value = max(0, microseconds)
        let fraction = String(value % 1_000_000)
        return "\(value / 1_000_000).\(String(repeating: "0", count: max(0, 6 - fraction.count)))\(fraction)"
    }
}
