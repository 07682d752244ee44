/// The mount rules of one virtual host in mod_jk's precedence order, and the lookup.
///
/// Order (`worker_compare`): more `/` in the pattern first, then the longer pattern, then the
/// source (uriworkermap, JkMount, worker.X.mount), then the order written. The **first** enabled
/// rule that matches wins, exact or wildcard alike; then every enabled exclusion for that worker
/// (or `*`) is tested, and any hit means the request is not forwarded.
public struct MountTable: Sendable {
    public let rules: [MountRule]
    private let compiled: [CompiledRule]
    /// Whether any rule carries `;extensions` (the handler looks the rule up again only then).
    public let hasExtensions: Bool

    /// What the lookup scans: bytes and flags only, so a miss touches no strings.
    struct CompiledRule: Sendable {
        let pattern: [UInt8]
        let wildcard: Bool
        let active: Bool
        let exclusion: Bool
        /// Index into the distinct worker names; -1 for the exclusion wildcard `*`.
        let worker: Int
        let rule: Int
    }

    public init(_ rules: [MountRule]) {
        // The same pattern mounted twice from one source: the later rule replaces the earlier
        // (mod_jk 1.2.48 answers with the last `JkMount /dup/* w` written). A disabled rule
        // (`-/app/*=w`) replaces only a disabled one: beside an enabled rule for the same
        // pattern it changes nothing, in either order, as in mod_jk.
        func key(_ rule: MountRule) -> String { "\(rule.source)\u{0}\(rule.isExclusion)\u{0}\(rule.isDisabled)\u{0}\(rule.pattern)" }
        var last: [String: Int] = [:]
        for (index, rule) in rules.enumerated() { last[key(rule)] = index }
        let kept = rules.enumerated().filter { index, rule in last[key(rule)] == index }
        let sorted = kept.sorted { lhs, rhs in
            let a = lhs.element
            let b = rhs.element
            let slashesA = a.pattern.utf8.count { $0 == UInt8(ascii: "/") }
            let slashesB = b.pattern.utf8.count { $0 == UInt8(ascii: "/") }
            if slashesA != slashesB { return slashesA > slashesB }
            if a.pattern.utf8.count != b.pattern.utf8.count { return a.pattern.utf8.count > b.pattern.utf8.count }
            if a.source != b.source { return a.source < b.source }
            return lhs.offset < rhs.offset
        }.map(\.element)
        self.rules = sorted
        self.hasExtensions = sorted.contains { !$0.extensions.isEmpty }
        var workers: [String: Int] = [:]
        self.compiled = sorted.enumerated().map { index, rule in
            let worker: Int
            if rule.worker == "*" {
                worker = -1
            } else if let known = workers[rule.worker] {
                worker = known
            } else {
                worker = workers.count
                workers[rule.worker] = worker
            }
            return CompiledRule(
                pattern: Array(rule.pattern.utf8), wildcard: rule.isWildcard, active: !rule.isDisabled,
                exclusion: rule.isExclusion, worker: worker, rule: index)
        }
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// The rule that maps `uri` (already normalised), or nil.
    public func match(_ uri: String) -> MountRule? {
        var uri = uri
        return uri.withUTF8 { match(bytes: $0) }
    }

    /// The same on raw bytes (httpd's r->uri, when it needs no normalisation).
    public func match(bytes: UnsafeBufferPointer<UInt8>) -> MountRule? {
        matchIndex(bytes: bytes).map { rules[$0] }
    }

    /// The index in `rules` of the rule that maps the URI: no rule is copied on the way.
    public func matchIndex(bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for entry in compiled where entry.active && !entry.exclusion && Self.matches(bytes, entry) {
            for exclusion in compiled where exclusion.exclusion && exclusion.active
                && (exclusion.worker == entry.worker || exclusion.worker == -1) && Self.matches(bytes, exclusion)
            {
                return nil
            }
            return entry.rule
        }
        return nil
    }

    public func matchIndex(_ uri: String) -> Int? {
        var uri = uri
        return uri.withUTF8 { matchIndex(bytes: $0) }
    }

    static func matches(_ uri: UnsafeBufferPointer<UInt8>, _ entry: CompiledRule) -> Bool {
        entry.pattern.withUnsafeBufferPointer { pattern in
            if entry.wildcard { return Wildcard.matches(uri, pattern: pattern) }
            return uri.count == pattern.count && memcmpEqual(uri, pattern)
        }
    }

    static func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<a.count where a[index] != b[index] { return false }
        return true
    }
}
