import Synchronization
import UMCGSystem

/// A fixed-capacity open-addressing map from thread id to a 32-bit block reference.
///
/// Threading rule: `insert`/`remove` under the backend's registration lock (one writer at a time);
/// `lookup` from any thread, lock-free, O(1) expected. Removed entries leave a tombstone that a later
/// insert reuses; a tombstone run that ends at an empty slot is turned back into empty slots, and
/// when tombstones still fill a quarter of the table the writer rebuilds it in place under a
/// sequence counter (lookups that overlap a rebuild retry), so the probe length does not grow with
/// thread churn. A lookup probes at most `capacity` slots, so it always ends.
struct TidTable {
    // SAFETY: `header` (and `slots` after it) comes from `allocate` and is freed once by
    // `deallocate` when no thread uses it; shared state is accessed through atomics only.
    let header: UnsafeMutableRawPointer
    let slots: UnsafeMutablePointer<Atomic<UInt64>>
    let mask: Int
    let shift: UInt64

    static let empty: UInt64 = 0
    static let tombstone: UInt64 = .max
    static let headerBytes = 128

    /// A table for at least `entries` live entries (load factor ≤ 1/2).
    static func allocate(entries: Int) -> TidTable {
        var cap = 16
        var bits: UInt64 = 4
        while cap < 2 * entries {
            cap <<= 1
            bits += 1
        }
        let header = UnsafeMutableRawPointer.allocate(byteCount: headerBytes + cap * 8, alignment: 128)
        // 0: rebuild sequence (odd while rebuilding) · 8: tombstone count (writer only).
        let counters = header.bindMemory(to: Atomic<UInt64>.self, capacity: 2)
        counters.initialize(to: Atomic(0))
        (counters + 1).initialize(to: Atomic(0))
        let slots = (header + headerBytes).bindMemory(to: Atomic<UInt64>.self, capacity: cap)
        for i in 0..<cap { (slots + i).initialize(to: Atomic(0)) }
        return TidTable(header: header, slots: slots, mask: cap - 1, shift: 64 - bits)
    }

    func deallocate() { header.deallocate() }

    var capacity: Int { mask + 1 }

    @inline(__always) private var sequence: UnsafeMutablePointer<Atomic<UInt64>> {
        header.assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inline(__always) private var tombstoneCount: UnsafeMutablePointer<Atomic<UInt64>> {
        header.assumingMemoryBound(to: Atomic<UInt64>.self) + 1
    }

    @inline(__always)
    private func home(_ tid: Int32) -> Int {
        Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: tid)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    private static func entry(_ tid: Int32, _ ref: UInt32) -> UInt64 {
        (UInt64(UInt32(bitPattern: tid)) << 32) | UInt64(ref)
    }

    /// The reference stored for `tid`, nil when absent. Lock-free.
    @inline(__always)
    func lookup(_ tid: Int32) -> UInt32? {
        while true {
            // Acquiring: pairs with rebuild's releasing store of the even sequence.
            let seq = sequence.pointee.load(ordering: .acquiring)
            if seq & 1 == 0 {
                let found = probe(tid)
                // Relaxed: ordered after the probe's acquiring slot loads; a slot value written by a
                // rebuild (after its odd store and releasing fence) makes this load see the change.
                if sequence.pointee.load(ordering: .relaxed) == seq { return found }
            }
            CPU.yield()  // a rebuild under the registration lock: O(capacity), rare
        }
    }

    @inline(__always)
    private func probe(_ tid: Int32) -> UInt32? {
        let key = UInt32(bitPattern: tid)
        var i = home(tid)
        for _ in 0...mask {
            // Acquiring: pairs with insert's releasing store, so the block it names is initialised.
            let v = slots[i].load(ordering: .acquiring)
            if v == Self.empty { return nil }
            if v != Self.tombstone, UInt32(truncatingIfNeeded: v >> 32) == key {
                return UInt32(truncatingIfNeeded: v)
            }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Inserts `tid → ref`; false when full. Caller holds the registration lock and checked absence.
    func insert(_ tid: Int32, _ ref: UInt32) -> Bool {
        var i = home(tid)
        for _ in 0...mask {
            // Relaxed: the writer is serialised by the registration lock.
            let v = slots[i].load(ordering: .relaxed)
            if v == Self.empty || v == Self.tombstone {
                // Releasing: publishes the block initialised before this call to lookups.
                slots[i].store(Self.entry(tid, ref), ordering: .releasing)
                // Relaxed: writer-only counter.
                if v == Self.tombstone { tombstoneCount.pointee.subtract(1, ordering: .relaxed) }
                return true
            }
            i = (i + 1) & mask
        }
        return false
    }

    /// Removes `tid`. Caller holds the registration lock.
    func remove(_ tid: Int32) {
        let key = UInt32(bitPattern: tid)
        var i = home(tid)
        for _ in 0...mask {
            // Relaxed: serialised writer.
            let v = slots[i].load(ordering: .relaxed)
            if v == Self.empty { return }
            if v != Self.tombstone, UInt32(truncatingIfNeeded: v >> 32) == key {
                // Releasing: lookups that see the tombstone skip the entry.
                slots[i].store(Self.tombstone, ordering: .releasing)
                // Relaxed: writer-only counter.
                tombstoneCount.pointee.add(1, ordering: .relaxed)
                reclaim(endingAt: i)
                // Relaxed: writer-only counter.
                if tombstoneCount.pointee.load(ordering: .relaxed) * 4 > UInt64(capacity) { rebuild() }
                return
            }
            i = (i + 1) & mask
        }
    }

    /// When the slot after `last` is empty, the tombstones from `last` backwards hide no entry (every
    /// probe that passes them ends at that empty slot): they become empty. Caller holds the lock.
    /// A concurrent lookup that reads one of them as empty would have ended at the empty slot anyway.
    private func reclaim(endingAt last: Int) {
        // Relaxed: serialised writer.
        guard slots[(last + 1) & mask].load(ordering: .relaxed) == Self.empty else { return }
        var i = last
        for _ in 0...mask {
            // Relaxed: serialised writer.
            guard slots[i].load(ordering: .relaxed) == Self.tombstone else { return }
            // Relaxed: an empty slot publishes nothing; lookups treat it as the end of the probe.
            slots[i].store(Self.empty, ordering: .relaxed)
            // Relaxed: writer-only counter.
            tombstoneCount.pointee.subtract(1, ordering: .relaxed)
            i = (i - 1) & mask
        }
    }

    /// Rehashes the live entries in place (tombstones gone) inside an odd sequence. Caller holds the lock.
    private func rebuild() {
        var live: [UInt64] = []
        for i in 0...mask {
            // Relaxed: serialised writer.
            let v = slots[i].load(ordering: .relaxed)
            if v != Self.empty && v != Self.tombstone { live.append(v) }
        }
        // Relaxed: serialised writer; the fence below orders it before the slot stores.
        let seq = sequence.pointee.load(ordering: .relaxed)
        sequence.pointee.store(seq &+ 1, ordering: .relaxed)
        // Releasing fence: a lookup whose acquiring slot load reads a store below sees the odd sequence.
        atomicMemoryFence(ordering: .releasing)
        // Relaxed: inside the odd sequence; lookups that overlap retry.
        for i in 0...mask { slots[i].store(Self.empty, ordering: .relaxed) }
        for v in live {
            var i = home(Int32(bitPattern: UInt32(truncatingIfNeeded: v >> 32)))
            // Relaxed: serialised writer, inside the odd sequence.
            while slots[i].load(ordering: .relaxed) != Self.empty { i = (i + 1) & mask }
            slots[i].store(v, ordering: .relaxed)
        }
        // Relaxed: writer-only counter.
        tombstoneCount.pointee.store(0, ordering: .relaxed)
        // Releasing: pairs with lookup's acquiring sequence load; the rebuilt slots are visible.
        sequence.pointee.store(seq &+ 2, ordering: .releasing)
    }

    /// Slots holding a tombstone (a statistic for tests).
    var tombstones: Int {
        // Relaxed: a statistic.
        (0...mask).reduce(0) { $0 + (slots[$1].load(ordering: .relaxed) == Self.tombstone ? 1 : 0) }
    }
}
