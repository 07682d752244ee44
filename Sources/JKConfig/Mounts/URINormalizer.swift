/// mod_jk's `jk_servlet_normalize`: the URI a mount rule is matched against.
///
/// Path parameters (`;jsessionid=…`) are removed from every segment, `//` collapses, `/./`
/// disappears and `/../` removes the previous segment. A `..` that would climb above the root is
/// an error: the request gets 400, as in mod_jk.
public enum URINormalizer {
    public enum Failure: Error, Equatable, Sendable {
        /// The URI does not start with `/`.
        case notAbsolute
        /// A `..` segment climbs above the root.
        case escapesRoot
    }

    /// The normalised form of `uri` (no query string: httpd has split it off already).
    public static func normalize(_ uri: String) -> Result<String, Failure> {
        var input = uri
        return input.withUTF8 { bytes -> Result<String, Failure> in
            guard bytes.first == UInt8(ascii: "/") else { return .failure(.notAbsolute) }
            if !needsWork(bytes) { return .success(uri) }
            var segments: [ArraySlice<UInt8>] = []
            var trailingSlash = false
            var index = 0
            let count = bytes.count
            while index < count {
                // Skip the slash(es) before a segment.
                while index < count && bytes[index] == UInt8(ascii: "/") { index += 1 }
                if index >= count {
                    trailingSlash = true
                    break
                }
                let start = index
                while index < count && bytes[index] != UInt8(ascii: "/") { index += 1 }
                var segment = Array(bytes[start..<index])[...]
                if let semicolon = segment.firstIndex(of: UInt8(ascii: ";")) {
                    segment = segment[..<semicolon]
                }
                let isLast = index >= count
                if segment.elementsEqual(".".utf8) {
                    if isLast { trailingSlash = true }
                    continue
                }
                if segment.elementsEqual("..".utf8) {
                    guard !segments.isEmpty else { return .failure(.escapesRoot) }
                    segments.removeLast()
                    if isLast { trailingSlash = true }
                    continue
                }
                segments.append(segment)
                trailingSlash = false
            }
            var result: [UInt8] = []
            result.reserveCapacity(count)
            for segment in segments {
                result.append(UInt8(ascii: "/"))
                result.append(contentsOf: segment)
            }
            if trailingSlash || segments.isEmpty { result.append(UInt8(ascii: "/")) }
            return .success(String(decoding: result, as: UTF8.self))
        }
    }

    /// Fast path: most URIs have no `;`, no `//` and no dot segment, and are used as they are.
    public static func needsWork(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ";") { return true }
            if byte == UInt8(ascii: "/") && previous == UInt8(ascii: "/") { return true }
            if byte == UInt8(ascii: ".") && previous == UInt8(ascii: "/") {
                let next = offset + 1 < bytes.count ? bytes[offset + 1] : UInt8(ascii: "/")
                if next == UInt8(ascii: "/") || next == UInt8(ascii: ".") { return true }
            }
            previous = byte
        }
        return false
    }
}
