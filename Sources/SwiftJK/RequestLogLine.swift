/// `JkRequestLogFormat`: one line per request in the jk log (mod_jk's `request_log_transaction`).
///
/// | Field | Value |
/// |---|---|
/// | `%b` | response body bytes, `-` for none | `%B` | response body bytes |
/// | `%H` | protocol | `%m` | method | `%p` | the server's port (not the Host header's) |
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
            case "p": line += String(facts.canonicalPort != 0 ? facts.canonicalPort : facts.serverPort)
            case "q": line += facts.queryString.map { "?\($0)" } ?? ""
            case "r": line += facts.requestLine ?? "\(facts.method) \(facts.uri) \(facts.protocolVersion)"
            case "s": line += String(status)
            case "T": line += seconds(microseconds: durationMicroseconds)
            case "U": line += facts.mappedURI ?? facts.uri
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
        withSeconds(microseconds: microseconds) { String(cString: $0) }
    }

    /// Runs `body` with `sec.uuuuuu` as a C string on the stack (the per-request note makes no
    /// Swift string).
    static func withSeconds<R>(microseconds: Int64, _ body: (UnsafePointer<CChar>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            guard let base = buffer.baseAddress else { return "0.000000".withCString(body) }
            var value = UInt64(max(0, microseconds))
            var at = buffer.count - 1
            buffer[at] = 0
            for _ in 0..<6 {
                at -= 1
                buffer[at] = CChar(truncatingIfNeeded: 48 + value % 10)
                value /= 10
            }
            at -= 1
            buffer[at] = CChar(UInt8(ascii: "."))
            repeat {
                at -= 1
                buffer[at] = CChar(truncatingIfNeeded: 48 + value % 10)
                value /= 10
            } while value > 0 && at > 0
            return body(UnsafePointer(base + at))
        }
    }
}
