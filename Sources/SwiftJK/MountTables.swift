import JKConfig
import JKCore
import JKPosix
import JKSync

/// A mount table with each rule's worker resolved to its plan index (-1: no such worker), so
/// the request path never looks a name up.
final class ResolvedMounts: Sendable {
    let table: MountTable
    let targets: [Int]

    init(_ table: MountTable, planIndex: [String: Int]) {
        self.table = table
        self.targets = table.rules.map { planIndex[$0.worker] ?? -1 }
    }
}

/// The mount tables of every server, as the request path reads them, with `JkMountFileReload`:
/// a server whose mount file changed gets a rebuilt table; readers take an immutable snapshot.
final class MountTables: Sendable {
    struct Entry: Sendable {
        var table: ResolvedMounts
        /// Rules that do not come from the mount file (JkMount, inherited, worker.X.mount).
        var staticRules: [MountRule]
        var mountFile: String?
        var resolvedMountFile: String?
        var reloadInterval: Milliseconds
        var lastCheck: Timestamp
        var modified: Int?
    }

    /// Tables of servers without a reloadable mount file: read with no lock at all.
    private let fixed: [ResolvedMounts?]
    private let planIndex: [String: Int]
    private let state: LockedState<[Entry]>

    init(configuration: Configuration) {
        let now = SystemClock.now()
        let planIndex = configuration.planIndex
        self.planIndex = planIndex
        let entries = configuration.jk.servers.map { server -> Entry in
            let resolved = server.mountFile.map { configuration.startup.resolve($0) }
            return Entry(
                table: ResolvedMounts(server.mounts, planIndex: planIndex),
                staticRules: server.mounts.rules.filter { $0.source != .mountFile },
                mountFile: server.mountFile, resolvedMountFile: resolved,
                // The parsed rules are the parent's, from configuration time: a child forked
                // later (prefork spawns them under load) must not take today's file time as the
                // time of those rules, or an edit made in between would never be seen. No known
                // time, and a check on the first request, make every child compare for itself.
                reloadInterval: .seconds(server.mountFileReload),
                lastCheck: Timestamp(milliseconds: now.milliseconds &- Int64(server.mountFileReload) &* 1000),
                modified: nil)
        }
        fixed = entries.map { $0.mountFile == nil || $0.reloadInterval.value == 0 ? $0.table : nil }
        state = LockedState(entries)
    }

    /// The table for a server, reloading its mount file first when due.
    func table(forServer index: Int, now: Timestamp, log: JKLog) -> ResolvedMounts? {
        guard index >= 0, index < fixed.count else { return nil }
        if let table = fixed[index] { return table }
        let due: (String, String)? = state.withLock { entries in
            guard index >= 0, index < entries.count else { return nil }
            let entry = entries[index]
            guard let file = entry.mountFile, let resolved = entry.resolvedMountFile, entry.reloadInterval.value > 0,
                now - entry.lastCheck >= entry.reloadInterval
            else { return nil }
            entries[index].lastCheck = now
            return (file, resolved)
        }
        if let (file, resolved) = due { reload(server: index, file: file, resolved: resolved, log: log) }
        return state.withLock { entries in index >= 0 && index < entries.count ? entries[index].table : nil }
    }

    private func reload(server index: Int, file: String, resolved: String, log: JKLog) {
        let modified = Files.modificationTime(resolved)
        let unchanged = state.withLock { $0[index].modified == modified }
        guard !unchanged else { return }
        let text: String
        do {
            text = try Files.readText(resolved)
        } catch {
            log.warn("JkMountFileReload: \(error.description); keeping the previous rules")
            return
        }
        let (rules, problems) = MountFileParser.parse(text, file: resolved)
        if problems.hasErrors {
            for problem in problems { log.warn("JkMountFileReload: \(problem.description)") }
            log.warn("JkMountFileReload: '\(file)' has errors; keeping the previous rules")
            state.withLock { $0[index].modified = modified }
            return
        }
        let firstLook = state.withLock { entries -> Bool in
            let first = entries[index].modified == nil
            entries[index].table = ResolvedMounts(MountTable(entries[index].staticRules + rules), planIndex: planIndex)
            entries[index].modified = modified
            return first
        }
        // A child's first look at the file is routine; a change it sees afterwards is news.
        log.log(firstLook ? .debug : .info, "JkMountFileReload: reloaded '\(file)' (\(rules.count) rules)")
    }
}
