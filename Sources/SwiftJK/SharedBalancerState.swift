import JKBalancer
import JKPosix
import JKStatus

/// The lb members' runtime records in the JkShmFile, shared by every child of one httpd
/// generation, and the short critical sections around them.
///
/// Layout after the region's lock: per lb, one `BalancerRuntime` then its `MemberRuntime`s, each
/// aligned to 8 bytes. Only plain integers live here. Everything done under the lock is pure
/// balancer code: no I/O, no logging, nothing that allocates much or can trap.
final class SharedBalancerState: @unchecked Sendable {
    struct Slot {
        let balancer: UnsafeMutablePointer<BalancerRuntime>
        let members: UnsafeMutableBufferPointer<MemberRuntime>
        let labels: UnsafeMutableBufferPointer<MemberLabels>
    }

    /// One lb's shared records, copied out.
    struct Snapshot {
        var balancer: BalancerRuntime
        var members: [MemberRuntime]
        var labels: [MemberLabels]
    }

    let region: SharedRegion
    private let slots: [Slot]
    /// Only the creating process removes the file (children also run pool cleanups at exit).
    private let creator: Int32

    init(path: String, balancers: [LBPlan], ajpWorkers: [AJPPlan]) throws(FileError) {
        func aligned(_ value: Int) -> Int { (value + 7) & ~7 }
        var size = 0
        for plan in balancers {
            size = aligned(size) + MemoryLayout<BalancerRuntime>.stride
            size = aligned(size) + MemoryLayout<MemberRuntime>.stride * plan.configured.members.count
            size = aligned(size) + MemoryLayout<MemberLabels>.stride * plan.configured.members.count
        }
        size = aligned(size) + MemoryLayout<NonceSlot>.stride * NonceRing.capacity
        size = aligned(size) + MemoryLayout<UInt64>.stride
        size = aligned(size) + MemoryLayout<AJPSharedSettings>.stride * ajpWorkers.count
        size = aligned(size) + MemoryLayout<AJPCounters>.stride * ajpWorkers.count
        region = try SharedRegion.create(path: path, payloadSize: size)
        creator = ProcessIdentity.pid
        var offset = 0
        var made: [Slot] = []
        for plan in balancers {
            offset = aligned(offset)
            let balancer = (region.payload + offset).bindMemory(to: BalancerRuntime.self, capacity: 1)
            let started = SystemClock.now().milliseconds
            var record = BalancerRuntime()
            record.settings = plan.configured.settings.shared
            record.lastReset = started
            balancer.initialize(to: record)
            offset = aligned(offset + MemoryLayout<BalancerRuntime>.stride)
            let count = plan.configured.members.count
            let members = (region.payload + offset).bindMemory(to: MemberRuntime.self, capacity: count)
            let buffer = UnsafeMutableBufferPointer(start: members, count: count)
            _ = buffer.initialize(from: plan.configured.initialRuntime().map { member in
                var member = member
                member.lastReset = started
                return member
            })
            offset = aligned(offset + MemoryLayout<MemberRuntime>.stride * count)
            let labels = (region.payload + offset).bindMemory(to: MemberLabels.self, capacity: count)
            let labelBuffer = UnsafeMutableBufferPointer(start: labels, count: count)
            _ = labelBuffer.initialize(from: plan.configured.initialLabels())
            offset += MemoryLayout<MemberLabels>.stride * count
            made.append(Slot(balancer: balancer, members: buffer, labels: labelBuffer))
        }
        slots = made
        plans = balancers
        offset = aligned(offset)
        let nonces = (region.payload + offset).bindMemory(to: NonceSlot.self, capacity: NonceRing.capacity)
        nonceSlots = UnsafeMutableBufferPointer(start: nonces, count: NonceRing.capacity)
        nonceSlots.initialize(repeating: NonceSlot())
        offset = aligned(offset + MemoryLayout<NonceSlot>.stride * NonceRing.capacity)
        ajpSequence = (region.payload + offset).bindMemory(to: UInt64.self, capacity: 1)
        ajpSequence.initialize(to: 0)
        offset = aligned(offset + MemoryLayout<UInt64>.stride)
        let ajpRecords = (region.payload + offset).bindMemory(to: AJPSharedSettings.self, capacity: ajpWorkers.count)
        ajpSlots = UnsafeMutableBufferPointer(start: ajpRecords, count: ajpWorkers.count)
        _ = ajpSlots.initialize(from: ajpWorkers.map(\.configuredLive))
        offset = aligned(offset + MemoryLayout<AJPSharedSettings>.stride * ajpWorkers.count)
        let counters = (region.payload + offset).bindMemory(to: AJPCounters.self, capacity: ajpWorkers.count)
        ajpCounterSlots = UnsafeMutableBufferPointer(start: counters, count: ajpWorkers.count)
        var fresh = AJPCounters()
        fresh.lastReset = SystemClock.now().milliseconds
        ajpCounterSlots.initialize(repeating: fresh)
        self.ajpWorkers = ajpWorkers
        ajpIndex = Dictionary(ajpWorkers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        carriedOver = restoreChanges()
    }

    /// The lb plans whose records live here.
    private let plans: [LBPlan]
    /// What `restoreChanges` did, for the jk log at startup.
    private(set) var carriedOver: [String] = []
    var changesPath: String { region.path + ".changes" }

    /// Applies the operator changes the previous generation saved (graceful restart: same
    /// parent, same file name), then removes the file.
    private func restoreChanges() -> [String] {
        guard Files.exists(changesPath), let text = try? Files.readText(changesPath) else { return [] }
        Files.unlink(changesPath)
        let changes = CarriedChanges.decode(text)
        var lines: [String] = []
        let now = SystemClock.now()
        for (index, plan) in plans.enumerated() where index < slots.count {
            let slot = slots[index]
            let applied = CarriedChanges.apply(
                changes, to: plan.configured, record: &slot.balancer.pointee, members: slot.members, labels: slot.labels, now: now)
            if !applied.isEmpty { slot.balancer.pointee.sequence &+= 1 }
            lines += applied
        }
        for (index, plan) in ajpWorkers.enumerated() where index < ajpSlots.count {
            let applied = CarriedChanges.applyAJP(changes, worker: plan.name, configured: plan.configuredLive, to: &ajpSlots[index])
            if !applied.isEmpty { ajpSequence.pointee &+= 1 }
            lines += applied
        }
        return lines
    }

    /// Saves the operator changes of this generation for the next one (creator only).
    private func saveChanges() {
        var changes: [CarriedChange] = []
        for (index, plan) in plans.enumerated() {
            guard let snapshot = fullSnapshot(index) else { continue }
            changes += CarriedChanges.collect(plan.configured, record: snapshot.balancer, members: snapshot.members, labels: snapshot.labels)
        }
        let (_, ajp) = ajpSettings()
        for (index, plan) in ajpWorkers.enumerated() where index < ajp.count {
            changes += CarriedChanges.collectAJP(plan.name, configured: plan.configuredLive, current: ajp[index])
        }
        guard !changes.isEmpty else { return }
        try? Files.writeText(changesPath, CarriedChanges.encode(changes))
    }

    private let nonceSlots: UnsafeMutableBufferPointer<NonceSlot>
    /// Bumped whenever an operator changes an ajp13 worker's settings; children compare it.
    private let ajpSequence: UnsafeMutablePointer<UInt64>
    /// One record per ajp13 worker, in `ajpWorkers` order.
    private let ajpSlots: UnsafeMutableBufferPointer<AJPSharedSettings>
    private let ajpWorkers: [AJPPlan]
    /// A plain ajp13 worker's counters (mod_jk's used, errors, bytes …), one per ajp13 worker.
    private let ajpCounterSlots: UnsafeMutableBufferPointer<AJPCounters>
    private let ajpIndex: [String: Int]

    /// Runs `body` on an ajp13 worker's shared counters, holding the lock.
    func withAJPCounters<R>(_ name: String, _ body: (inout AJPCounters) -> R) -> R? {
        guard let index = ajpIndex[name], index < ajpCounterSlots.count else { return nil }
        return region.withLock { body(&ajpCounterSlots[index]) }
    }

    /// The ajp13 settings sequence, read without the lock: an aligned 8-byte load, only ever
    /// compared with the value a child last pulled (a stale read just delays the pull).
    var ajpSettingsSequence: UInt64 { ajpSequence.pointee }

    /// Every ajp13 worker's shared settings and the sequence they belong to, under the lock.
    func ajpSettings() -> (UInt64, [AJPSharedSettings]) {
        region.withLock { (ajpSequence.pointee, Array(ajpSlots)) }
    }

    /// Changes one ajp13 worker's settings under the lock and bumps the sequence when `body`
    /// says something changed.
    func withAJPSettings<R>(_ name: String, _ body: (inout AJPSharedSettings) -> (R, Bool)) -> R? {
        guard let index = ajpWorkers.firstIndex(where: { $0.name == name }) else { return nil }
        return region.withLock {
            let (result, changed) = body(&ajpSlots[index])
            if changed { ajpSequence.pointee &+= 1 }
            return result
        }
    }

    /// Runs `body` on one lb's records and its members' text settings, holding the lock
    /// (status-worker changes).
    func withBalancerAndLabels<R>(
        _ slot: Int,
        _ body: (inout BalancerRuntime, inout UnsafeMutableBufferPointer<MemberRuntime>, inout UnsafeMutableBufferPointer<MemberLabels>) -> R
    ) -> R? {
        guard slot >= 0, slot < slots.count else { return nil }
        let entry = slots[slot]
        return region.withLock {
            var members = entry.members
            var labels = entry.labels
            return body(&entry.balancer.pointee, &members, &labels)
        }
    }

    /// Everything about one lb, copied out under the lock.
    func fullSnapshot(_ slot: Int) -> Snapshot? {
        withBalancerAndLabels(slot) { balancer, members, labels in
            Snapshot(balancer: balancer, members: Array(members), labels: Array(labels))
        }
    }

    /// The status page's one-time nonces, shared by every child (a form served by one child is
    /// posted to another).
    func withNonces<R>(_ body: (inout NonceRing) -> R) -> R {
        region.withLock {
            var ring = NonceRing(slots: nonceSlots)
            return body(&ring)
        }
    }

    /// Runs `body` on one lb's records, holding the cross-process lock.
    @inline(__always)
    func withBalancer<R>(
        _ slot: Int, _ body: (inout BalancerRuntime, inout UnsafeMutableBufferPointer<MemberRuntime>) -> R
    ) -> R? {
        guard slot >= 0, slot < slots.count else { return nil }
        let entry = slots[slot]
        return region.withLock {
            var members = entry.members
            return body(&entry.balancer.pointee, &members)
        }
    }

    /// A copy of one lb's records (for logs and the status page).
    func snapshot(_ slot: Int) -> (BalancerRuntime, [MemberRuntime])? {
        withBalancer(slot) { balancer, members in (balancer, Array(members)) }
    }

    private var closed = false

    func close(carryChanges: Bool = true) {
        guard !closed else { return }
        if ProcessIdentity.pid == creator && carryChanges { saveChanges() }
        closed = true
        region.close(unlink: ProcessIdentity.pid == creator)
    }
}
