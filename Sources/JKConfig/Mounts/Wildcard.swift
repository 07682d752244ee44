/// mod_jk's `jk_wildchar_match` in case-sensitive mode: `*` matches any run of characters
/// (including `/`), `?` exactly one.
public enum Wildcard {
    public static func matches(_ text: UnsafeBufferPointer<UInt8>, pattern: UnsafeBufferPointer<UInt8>) -> Bool {
        // Iterative matcher with single-star backtracking: linear in practice, no recursion.
        var t = 0
        var p = 0
        var starP = -1
        var starT = 0
        let star = UInt8(ascii: "*")
        let question = UInt8(ascii: "?")
        while t < text.count {
            if p < pattern.count && (pattern[p] == question || pattern[p] == text[t]) {
                t += 1
                p += 1
            } else if p < pattern.count && pattern[p] == star {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == star { p += 1 }
        return p == pattern.count
    }

    public static func matches(_ text: String, pattern: String) -> Bool {
        var text = text
        var pattern = pattern
        return text.withUTF8 { t in pattern.withUTF8 { p in matches(t, pattern: p) } }
    }

    public static func isWildcard(_ pattern: String) -> Bool {
        pattern.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
    }
}
