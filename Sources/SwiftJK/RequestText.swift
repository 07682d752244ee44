import Glibc

/// One of the request's strings (the URI, the query, the addresses, the server name): httpd's
/// C string itself, or a Swift string when an indicator variable or a test supplied it.
///
/// httpd keeps these strings in the request's and the connection's pools for the whole handler
/// call, longer than any use SwiftJK makes of them, so the FORWARD_REQUEST is written straight
/// from their bytes; a Swift `String` is made only when something asks for one (logs, the status
/// worker), and once. Decoding and releasing six strings a request was about 2,000 instructions
/// (callgrind), a tenth of the module's work.
struct RequestText {
    private var pointer: UnsafePointer<CChar>?
    private var decoded: String?

    init(_ pointer: UnsafePointer<CChar>?) {
        self.pointer = pointer
    }

    init(_ string: String?) {
        self.decoded = string
    }

    var isPresent: Bool { pointer != nil || decoded != nil }

    /// The string, decoded from the C string the first time it is asked for.
    mutating func string() -> String? {
        if let decoded { return decoded }
        guard let pointer else { return nil }
        let value = String(cString: pointer)
        decoded = value
        self.pointer = nil
        return value
    }

    /// Runs `body` with the bytes (nil when absent), without making a Swift string.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer?) -> R) -> R {
        if let pointer { return body(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))) }
        guard var decoded else { return body(nil) }
        return decoded.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
