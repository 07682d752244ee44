/// Byte-level searches and comparisons over a string's UTF-8 storage, in place.
///
/// The generic `Collection` algorithms over `Substring.UTF8View` (`firstIndex(of:)`,
/// `elementsEqual`) step index by index with bounds and alignment checks: ~125 instructions a
/// byte. On the sticky path a session id of 32 hex digits and a route was searched for its dot
/// four or five times a request, 4,400 instructions in all (callgrind, a sixth of the module's
/// whole request); over the contiguous bytes the same search is a few instructions a byte
/// (docs/architecture.md §5.1).
enum UTF8Bytes {
    /// `body` over the UTF-8 bytes of `text`: in place for a native string, a copy otherwise.
    /// (`withUTF8`, not `utf8.withContiguousStorageIfAvailable`: the latter goes through an
    /// unspecialized `Slice` path that instantiated generic metadata on every call.)
    static func with<R>(_ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text = text
        return text.withUTF8(body)
    }

    /// Whether `a` and `b` hold the same bytes (as C's `strcmp` == 0).
    static func equal(_ a: Substring, _ b: Substring) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return with(a) { x in with(b) { y in x.elementsEqual(y) } }
    }

    /// `text[range]` for a range of UTF-8 offsets that fall on ASCII delimiters (so on scalar
    /// boundaries).
    static func slice(_ text: Substring, _ range: Range<Int>) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return text[start..<utf8.index(start, offsetBy: range.count)]
    }
}
