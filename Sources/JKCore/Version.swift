/// SwiftJK's version: the status worker's `jk_version` and `cmd=version`. Kept equal to the
/// VERSION file at the top of the repository (a unit test compares them).
public enum SwiftJKVersion {
    public static let current = "1.1.0"
}
