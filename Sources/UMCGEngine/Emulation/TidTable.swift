import Synchronization
import UMCGSystem

/// A fixed-capacity open-addressing map from thread id to a 32-bit block reference.
///
/// Threading rule: `insert`/`remove` under the backend's registration lock (one writer at a time);
/// `lookup` from any thread, lock-free, O(1) expected. Removed entries leave a tombstone that a later
/// insert reuses; a lookup probes at most `capacity` slots, so it always ends.
struct TidTable {
    // SAFETY: `slots` comes from `allocate` and is freed once by `deallocate` when no thread uses it.
    let slots: UnsafeMutablePointer<Atomic<UInt64>>
    let mask: Int
    let shift: UInt64

    static let empty: UInt64 = 0
    static let tombstone: UInt64 = .max

    /// A table for at least `entries` live entries (load factor ≤ 1/2).
    static func allocate(entries: Int) -> TidTable {
        var cap = 16
        var bits: UInt64 = 4
        while cap < 2 * entries {
            cap <<= 1
            bits += 1
        }
        let slots = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: cap)
        for i in 0..<cap { (slots + i).initialize(to: Atomic(0)) }
        return TidTable(slots: slots, mask: cap - 1, shift: 64 - bits)
    }

    func deallocate() { slots.deallocate() }

    var capacity: Int { mask + 1 }

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
                return
            }
            i = (i + 1) & mask
        }
    }
}
