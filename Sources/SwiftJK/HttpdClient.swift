import AJP13
import CSwiftJKABI
import JKBalancer
import JKClient

/// The browser side of a request over httpd's callbacks (`sjk_request_host`).
///
/// Response header strings are passed to C as pointers into the AJP payload: AJP strings carry
/// their NUL terminator on the wire, so no copy is made; C copies what httpd keeps.
final class HttpdClient: ClientSide {
    let request: UnsafeMutableRawPointer?
    let host: UnsafePointer<sjk_request_host>
    /// Extra response headers to add (set_session_cookie), as (name, value).
    var extraHeaders: [(String, String)] = []
    /// Shown each Set-Cookie value (route-mismatch detection). A value, not a closure: a closure
    /// context was allocated and freed on every lb request for a check that rarely fires.
    var routeWatch: RouteWatch?
    /// Status of the response sent, for logs and notes.
    private(set) var status = 0
    private(set) var bytesWritten: Int64 = 0
    /// True once the client failed (its connection is gone).
    private(set) var failed = false
    /// `FlushPackets` / `FlushHeader`.
    var flushEveryPacket = false
    var flushHeaders = false
    /// `JkOptions +DisableReuse`: close the backend connection after this request.
    var disableReuse = false
    /// A HEAD request: its response's Content-Length promises no body.
    var headerOnly = false
    /// The response's Content-Length while its body is incomplete: the write that completes it
    /// flushes (see `writeCompleted`).
    private var bodyLength: Int64?
    /// The whole body of a response with a Content-Length has been written (and flushed).
    private(set) var bodyComplete = false
    /// The client has the whole response: its body was complete and flushed, no filter holds it.
    private(set) var responseDelivered = false
    /// Body bytes the backend sent beyond its own Content-Length, dropped: written, they would
    /// reach the client after a complete response, where a keep-alive client reads them as the
    /// start of its next one (the caller says so in the log).
    private(set) var bytesBeyondLength: Int64 = 0

    init(request: UnsafeMutableRawPointer?, host: UnsafePointer<sjk_request_host>) {
        self.request = request
        self.host = host
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int {
        try read(with: host.pointee.read_body, into: buffer)
    }

    func readAvailableBody(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> Int {
        try read(with: host.pointee.read_body_available, into: buffer)
    }

    private func read(
        with reader: (@convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, Int) -> Int)?,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(ClientError) -> Int {
        guard let reader, let base = buffer.baseAddress else { return 0 }
        let count = reader(request, base.assumingMemoryBound(to: CChar.self), buffer.count)
        if count < 0 {
            failed = true
            throw .readFailed
        }
        return count
    }

    func startResponse(_ headers: SendHeaders, payload: UnsafeRawBufferPointer) throws(ClientError) {
        status = headers.status
        bodyLength = nil
        bodyComplete = false
        bytesBeyondLength = 0
        guard let start = host.pointee.start_response, let base = payload.baseAddress else { return }
        let cBase = base.assumingMemoryBound(to: CChar.self)
        let total = headers.headerCount + extraHeaders.count
        let result: Int32 = withUnsafeTemporaryAllocation(of: sjk_header.self, capacity: max(total, 1)) { list in
            var count = 0
            headers.forEachHeader(in: payload) { name, value in
                let namePointer: UnsafePointer<CChar>
                switch name {
                case .coded(let staticName):
                    namePointer = UnsafeRawPointer(staticName.utf8Start).assumingMemoryBound(to: CChar.self)
                    if staticName.utf8CodeUnitCount == 10, let routeWatch, staticName.description == "Set-Cookie" {
                        routeWatch.saw(UnsafeRawBufferPointer(rebasing: payload[value]))
                    } else if staticName.utf8CodeUnitCount == 14,
                        AJPRequestHeader.matches(UnsafeRawBufferPointer(start: staticName.utf8Start, count: 14), "content-length")
                    {
                        bodyLength = ContentLength.parse(UnsafeRawBufferPointer(rebasing: payload[value]), allowingZero: true)
                    }
                case .named(let range):
                    namePointer = UnsafePointer(cBase + range.lowerBound)
                    let nameBytes = UnsafeRawBufferPointer(rebasing: payload[range])
                    if let routeWatch, range.count == 10, AJPRequestHeader.matches(nameBytes, "set-cookie") {
                        routeWatch.saw(UnsafeRawBufferPointer(rebasing: payload[value]))
                    } else if range.count == 14, AJPRequestHeader.matches(nameBytes, "content-length") {
                        bodyLength = ContentLength.parse(UnsafeRawBufferPointer(rebasing: payload[value]), allowingZero: true)
                    }
                }
                list[count] = sjk_header(name: namePointer, value: UnsafePointer(cBase + value.lowerBound))
                count += 1
            }
            let reason = headers.reason.map { UnsafePointer(cBase + $0.lowerBound) }
            return withExtraHeaders(list, count) { start(request, Int32(headers.status), reason, list.baseAddress, Int32($0)) }
        }
        if result != 0 {
            failed = true
            throw .aborted
        }
        if flushHeaders { try flush() }
    }

    /// Appends `extraHeaders` (Swift strings, valid only inside this call) and runs `body` with
    /// the total count.
    private func withExtraHeaders(
        _ list: UnsafeMutableBufferPointer<sjk_header>, _ count: Int, _ body: (Int) -> Int32
    ) -> Int32 {
        guard !extraHeaders.isEmpty else { return body(count) }
        func add(_ index: Int, _ count: Int) -> Int32 {
            guard index < extraHeaders.count else { return body(count) }
            return extraHeaders[index].0.withCString { name in
                extraHeaders[index].1.withCString { value in
                    list[count] = sjk_header(name: name, value: value)
                    return add(index + 1, count + 1)
                }
            }
        }
        return add(0, count)
    }

    func writeBody(_ bytes: UnsafeRawBufferPointer) throws(ClientError) {
        guard let write = host.pointee.write, let base = bytes.baseAddress, bytes.count > 0 else { return }
        let count = withinLength(bytes.count)
        guard count > 0 else { return }
        if write(request, base.assumingMemoryBound(to: CChar.self), count) != 0 {
            failed = true
            throw .aborted
        }
        bytesWritten += Int64(count)
        if flushEveryPacket { try flush() } else { try writeCompleted() }
    }

    /// What the response's Content-Length still promises (no body for HEAD, 204 and 304):
    /// the exchange may wait for that much at once (docs/architecture.md §5.1). Nothing with
    /// `+FlushPackets`: each packet is to reach the client as it comes.
    var bodyStillPromised: Int64 {
        guard let bodyLength, !bodyComplete, !headerOnly, !flushEveryPacket, status != 204, status != 304, status >= 200
        else { return 0 }
        return max(0, bodyLength - bytesWritten)
    }

    /// How many of `count` more body bytes the response's Content-Length leaves room for (all
    /// of them without one); the rest is counted in `bytesBeyondLength`.
    private func withinLength(_ count: Int) -> Int {
        let room: Int64
        if bodyComplete {
            room = 0
        } else if let bodyLength {
            room = max(0, bodyLength - bytesWritten)
        } else {
            return count
        }
        let allowed = Int(min(Int64(count), room))
        bytesBeyondLength += Int64(count - allowed)
        return allowed
    }

    /// The write that completes a body of known length flushes it to the client at once
    /// (docs/architecture.md §5.1): the client has its response while the exchange still waits
    /// for END_RESPONSE, which Tomcat often sends in a second segment, and by the time the
    /// flush is done that segment has usually arrived, so the wait for it rarely sleeps. The
    /// bytes would have been written at the end of the request anyway: no extra system call.
    /// A filter that rewrites the body (mod_deflate for a client that takes gzip) keeps it until
    /// EOS instead, as with mod_jk, so httpd can still compute its Content-Length.
    private func writeCompleted() throws(ClientError) {
        guard let bodyLength, bytesWritten >= bodyLength else { return }
        self.bodyLength = nil
        bodyComplete = true
        guard let flushCompleted = host.pointee.flush_completed else {
            try flush()
            responseDelivered = true
            return
        }
        switch flushCompleted(request) {
        case 0: responseDelivered = true
        case 1: break  // a filter that may rewrite the body keeps it until EOS
        default:
            failed = true
            throw .aborted
        }
    }

    /// Chunks that arrived together: one pass down httpd's output filters (one `writev`) when
    /// they hold at least httpd's write buffer, which `ap_rwrite` would have passed on anyway.
    /// Fewer bytes, or `+FlushPackets`, go chunk by chunk as before, so what stays buffered in
    /// httpd (and can still be taken back for a replay) is the same (docs/architecture.md §5.1).
    func writeBodies(_ slices: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws(ClientError) {
        var total = 0
        for slice in slices { total += slice.count }
        let fits = !bodyComplete && (bodyLength.map { Int64(total) <= $0 - bytesWritten } ?? true)
        guard slices.count > 1, !flushEveryPacket, fits, total >= Int(Self.writeBufferSize), let writeMany = host.pointee.write_many
        else {
            for slice in slices { try writeBody(slice) }
            return
        }
        let rc = withUnsafeTemporaryAllocation(of: sjk_slice.self, capacity: slices.count) { list -> Int32 in
            for index in 0..<slices.count {
                list[index] = sjk_slice(data: slices[index].baseAddress?.assumingMemoryBound(to: CChar.self), len: slices[index].count)
            }
            return writeMany(request, list.baseAddress, Int32(slices.count))
        }
        if rc != 0 {
            failed = true
            throw .aborted
        }
        bytesWritten += Int64(total)
        try writeCompleted()
    }

    func flush() throws(ClientError) {
        guard let flush = host.pointee.flush else { return }
        if flush(request) != 0 {
            failed = true
            throw .aborted
        }
    }

    /// A response made here (status worker): Content-Type, `headers` and a body.
    func sendSimpleResponse(
        status: Int, contentType: String, headers: [(String, String)] = [], body: UnsafeRawBufferPointer
    ) throws(ClientError) {
        self.status = status
        guard let start = host.pointee.start_response else { return }
        extraHeaders = headers
        defer { extraHeaders = [] }
        let rc: Int32 = withUnsafeTemporaryAllocation(of: sjk_header.self, capacity: 1 + headers.count) { list in
            "Content-Type".withCString { name in
                contentType.withCString { value in
                    list[0] = sjk_header(name: name, value: value)
                    return withExtraHeaders(list, 1) { count in start(request, Int32(status), nil, list.baseAddress, Int32(count)) }
                }
            }
        }
        if rc != 0 {
            failed = true
            throw .aborted
        }
        try writeBody(body)
    }

    /// True once httpd has sent (or started sending) the response headers.
    var responseCommitted: Bool {
        guard let committed = host.pointee.response_committed else { return true }
        return committed(request) != 0
    }

    /// httpd's `AP_MIN_BYTES_TO_WRITE`: fewer body bytes than this, written with no flush, are
    /// still buffered in httpd and can be taken back.
    static let writeBufferSize: Int64 = 8000

    /// Forgets the status, headers and buffered body of a response that broke before anything
    /// was committed, so another member can answer instead.
    func resetResponse() {
        host.pointee.reset_response?(request)
        status = 0
        bytesWritten = 0
        bodyLength = nil
        bodyComplete = false
        responseDelivered = false
        bytesBeyondLength = 0
    }

    /// Makes httpd close the client connection instead of completing a broken response.
    func abortResponse() {
        host.pointee.abort_response?(request)
    }

    /// The `JK_LB_FIRST_*` / `JK_LB_LAST_*` notes of the first and last member tried, in one
    /// call: the shim holds the note names and formats the numbers (twenty `apr_table_set`s,
    /// each searching the notes table, were a fifth of the module's instructions per request).
    func setLBNotes(first: (name: String, record: MemberRuntime), last: (name: String, record: MemberRuntime)) {
        guard let setLBNotes = host.pointee.set_lb_notes else { return }
        func values(_ member: (name: String, record: MemberRuntime), _ body: (UnsafePointer<sjk_lb_note_values>) -> Void) {
            let record = member.record
            member.name.withCString { name in
                record.activation.code.withCString { activation in
                    record.state.label.withCString { state in
                        var notes = sjk_lb_note_values(
                            name: name, value: record.lbValue, accessed: record.elected, sessions: record.sessions,
                            read: record.bytesRead, transferred: record.bytesWritten, errors: UInt64(record.errors),
                            busy: Int64(record.busy), activation: activation, state: state)
                        withUnsafePointer(to: &notes) { body($0) }
                    }
                }
            }
        }
        values(first) { firstNotes in values(last) { lastNotes in setLBNotes(request, firstNotes, lastNotes) } }
    }

    /// A note with a fixed name and a C string value (no Swift string made).
    func setNote(_ name: StaticString, _ value: UnsafePointer<CChar>) {
        host.pointee.set_note?(request, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self), value)
    }

    func setNote(_ name: StaticString, _ value: StaticString) {
        setNote(name, UnsafeRawPointer(value.utf8Start).assumingMemoryBound(to: CChar.self))
    }

    func setNote(_ name: String, _ value: String) {
        guard let setNote = host.pointee.set_note else { return }
        name.withCString { n in value.withCString { v in setNote(request, n, v) } }
    }
}
