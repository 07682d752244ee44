import JKBalancer
import JKPosix

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
    }

    let region: SharedRegion
    private let slots: [Slot]
    /// Only the creating process removes the file (children also run pool cleanups at exit).
    private let creator: Int32

    init(path: String, balancers: [LBPlan]) throws(FileError) {
        func aligned(_ value: Int) -> Int { (value + 7) & ~7 }
        var size = 0
        for plan in balancers {
            size = aligned(size) + MemoryLayout<BalancerRuntime>.stride
            size = aligned(size) + MemoryLayout<MemberRuntime>.stride * plan.balancer.members.count
        }
        region = try SharedRegion.create(path: path, payloadSize: size)
        creator = ProcessIdentity.pid
        var offset = 0
        var made: [Slot] = []
        for plan in balancers {
            offset = aligned(offset)
            let balancer = (region.payload + offset).bindMemory(to: BalancerRuntime.self, capacity: 1)
            balancer.initialize(to: BalancerRuntime())
            offset = aligned(offset + MemoryLayout<BalancerRuntime>.stride)
            let count = plan.balancer.members.count
            let members = (region.payload + offset).bindMemory(to: MemberRuntime.self, capacity: count)
            let buffer = UnsafeMutableBufferPointer(start: members, count: count)
            _ = buffer.initialize(from: plan.balancer.initialRuntime())
            offset += MemoryLayout<MemberRuntime>.stride * count
            made.append(Slot(balancer: balancer, members: buffer))
        }
        slots = made
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

    func close() {
        region.close(unlink: ProcessIdentity.pid == creator)
    }
}
