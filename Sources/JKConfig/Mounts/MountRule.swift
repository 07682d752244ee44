import JKCore

/// Where a mount rule came from; also its tie-break rank (mod_jk's `SOURCE_TYPE_*` order:
/// uriworkermap before JkMount before `worker.X.mount`).
public enum MountSource: Int, Sendable, Comparable, CustomStringConvertible {
    case mountFile = 0
    case jkMount = 1
    case workerMount = 2

    public static func < (lhs: MountSource, rhs: MountSource) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .mountFile: "uriworkermap"
        case .jkMount: "JkMount"
        case .workerMount: "worker.mount"
        }
    }
}

/// Per-rule settings after `;` (`parse_rule_extensions`).
public struct MountExtensions: Sendable, Equatable {
    /// `reply_timeout=ms`; nil = the worker's.
    public var replyTimeout: Milliseconds?
    public var stickyIgnore: Bool?
    public var stateless: Bool?
    /// Per-mount activation overrides by member name.
    public var active: [String] = []
    public var disabled: [String] = []
    public var stopped: [String] = []
    public var failOnStatus: [Int]?
    /// `use_server_errors=N`: httpd's own error page for statuses ≥ N.
    public var useServerErrors: Int?
    public var sessionCookie: String?
    public var sessionPath: String?
    public var setSessionCookie: Bool?
    public var sessionCookiePath: String?

    public init() {}

    public var isEmpty: Bool { self == MountExtensions() }
}

/// One mapping rule: a pattern to a worker, or an exclusion, possibly disabled.
public struct MountRule: Sendable, Equatable {
    public var pattern: String
    public var worker: String
    /// `!pattern` (JkUnMount): a match cancels mounts of the same worker (or any, for `*`).
    public var isExclusion: Bool
    /// `-pattern`: ignored (kept so a reload can toggle it).
    public var isDisabled: Bool
    public var source: MountSource
    public var extensions: MountExtensions
    public var location: SourceLocation?

    public var isWildcard: Bool { Wildcard.isWildcard(pattern) }

    public init(
        pattern: String, worker: String, isExclusion: Bool = false, isDisabled: Bool = false,
        source: MountSource = .jkMount, extensions: MountExtensions = MountExtensions(), location: SourceLocation? = nil
    ) {
        self.pattern = pattern
        self.worker = worker
        self.isExclusion = isExclusion
        self.isDisabled = isDisabled
        self.source = source
        self.extensions = extensions
        self.location = location
    }

    /// `pattern=worker` as mod_jk prints rules.
    public var display: String {
        (isDisabled ? "-" : "") + (isExclusion ? "!" : "") + "\(pattern)=\(worker)"
    }
}
