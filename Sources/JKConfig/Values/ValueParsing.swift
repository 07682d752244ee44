/// mod_jk's value syntaxes, strict: where mod_jk silently falls back to a default, these return
/// nil so the caller can report the line.
public enum ValueParsing {
    /// Booleans in every mod_jk spelling (`jk_get_bool_code`): `0`/`1`, `on`/`off`, and any word
    /// starting with `t`/`y` (true) or `f`/`n` (false), case-insensitive.
    public static func boolean(_ text: String) -> Bool? {
        let lower = text.lowercased()
        switch lower {
        case "1", "on": return true
        case "0", "off": return false
        default: break
        }
        guard let first = lower.first else { return nil }
        switch first {
        case "t", "y": return true
        case "f", "n": return false
        default: return nil
        }
    }

    /// An integer with an optional `k` (×1024) or `M` (×1024²) suffix, as `jk_map_get_int`
    /// accepts. nil for anything else, including overflow.
    public static func integer(_ text: String) -> Int? {
        var digits = Substring(text)
        var multiplier = 1
        if let last = digits.last {
            if last == "k" || last == "K" {
                multiplier = 1024
                digits = digits.dropLast()
            } else if last == "m" || last == "M" {
                multiplier = 1024 * 1024
                digits = digits.dropLast()
            }
        }
        guard let value = Int(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// A comma/space separated list with empty items dropped (`balance_workers`, `fail_on_status`,
    /// `worker.list`, …).
    public static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }
}

/// Edit distance, for "did you mean …?" suggestions.
public enum Suggestions {
    public static func nearest(to word: String, in candidates: some Sequence<String>, maxDistance: Int = 3) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let distance = levenshtein(word, candidate)
            if distance <= maxDistance, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
