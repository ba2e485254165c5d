import Synchronization
import UMCGSystem

/// A bounded lock-free multi-producer queue of event words (Dmitry Vyukov's sequence-numbered ring).
///
/// Threading rule: any thread may `enqueue`; `dequeue` may also run on several threads (it CASes the
/// head), though each server's queue has one consumer. No locks, no allocation after `init`.
/// The memory is raw and owned by whoever calls `allocate`/`deallocate` (the backend).
struct EventQueue: @unchecked Sendable {
    // SAFETY: `base` points to memory from `allocate`, freed once by `deallocate` when no thread uses
    // it; all shared state in it is accessed through atomics (a lock-free MPMC queue).
    let base: UnsafeMutableRawPointer
    let mask: UInt64

    static let pad = 128
    static let cellSize = 16

    /// Bytes a queue of `capacity` slots uses.
    static func bytes(capacity: Int) -> Int { 2 * pad + capacity * cellSize }

    /// Allocates a queue with at least `minimumCapacity` slots (a power of two).
    static func allocate(minimumCapacity: Int) -> EventQueue {
        var cap = 2
        while cap < minimumCapacity { cap <<= 1 }
        let base = UnsafeMutableRawPointer.allocate(byteCount: bytes(capacity: cap), alignment: pad)
        base.bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (base + pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        let cells = (base + 2 * pad).bindMemory(to: Atomic<UInt64>.self, capacity: 2 * cap)
        for i in 0..<cap {
            (cells + 2 * i).initialize(to: Atomic(UInt64(i)))  // sequence
            (cells + 2 * i + 1).initialize(to: Atomic(0))  // value
        }
        return EventQueue(base: base, mask: UInt64(cap - 1))
    }

    /// Frees the memory. No thread may use the queue afterwards.
    func deallocate() { base.deallocate() }

    var capacity: Int { Int(mask) + 1 }

    @inline(__always) private var tail: UnsafeMutablePointer<Atomic<UInt64>> {
        base.assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inline(__always) private var head: UnsafeMutablePointer<Atomic<UInt64>> {
        (base + Self.pad).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inline(__always) private func sequence(_ pos: UInt64) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + 2 * Self.pad).assumingMemoryBound(to: Atomic<UInt64>.self) + 2 * Int(pos & mask)
    }

    /// Appends `value`; false when full.
    @inline(__always)
    func enqueue(_ value: UInt64) -> Bool {
        // Relaxed: the position is only a ticket; the cell's sequence carries the ordering.
        var pos = tail.pointee.load(ordering: .relaxed)
        while true {
            let cell = sequence(pos)
            // Acquiring: pairs with the consumer's releasing store that freed this cell.
            let seq = cell.pointee.load(ordering: .acquiring)
            let diff = Int64(bitPattern: seq &- pos)
            if diff == 0 {
                // Relaxed: claims the ticket; publication happens through the cell sequence below.
                let (done, current) = tail.pointee.compareExchange(
                    expected: pos, desired: pos &+ 1, ordering: .relaxed)
                if done {
                    // Relaxed: published by the releasing sequence store.
                    (cell + 1).pointee.store(value, ordering: .relaxed)
                    // Releasing: pairs with dequeue's acquiring load of the sequence.
                    cell.pointee.store(pos &+ 1, ordering: .releasing)
                    return true
                }
                pos = current
            } else if diff < 0 {
                return false
            } else {
                // Relaxed: another producer took the ticket; reload it.
                pos = tail.pointee.load(ordering: .relaxed)
            }
        }
    }

    /// Appends `value`, yielding the CPU while the queue is full (it cannot stay full: the backend
    /// sizes queues above the number of events that can be outstanding at once).
    @inline(__always)
    func enqueueWaiting(_ value: UInt64) {
        while !enqueue(value) { CPU.yield() }
    }

    /// Removes the oldest value, nil when empty (or when the oldest producer has not finished yet:
    /// it notifies the consumer after it does).
    @inline(__always)
    func dequeue() -> UInt64? {
        // Relaxed: ticket; ordering through the cell sequence.
        var pos = head.pointee.load(ordering: .relaxed)
        while true {
            let cell = sequence(pos)
            // Acquiring: pairs with enqueue's releasing sequence store; the value is visible.
            let seq = cell.pointee.load(ordering: .acquiring)
            let diff = Int64(bitPattern: seq &- (pos &+ 1))
            if diff == 0 {
                // Relaxed: claims the ticket; the cell sequence orders the value.
                let (done, current) = head.pointee.compareExchange(
                    expected: pos, desired: pos &+ 1, ordering: .relaxed)
                if done {
                    // Relaxed: made visible by the acquiring sequence load above.
                    let value = (cell + 1).pointee.load(ordering: .relaxed)
                    // Releasing: pairs with enqueue's acquiring load; the cell is free for lap + 1.
                    cell.pointee.store(pos &+ mask &+ 1, ordering: .releasing)
                    return value
                }
                pos = current
            } else if diff < 0 {
                return nil
            } else {
                // Relaxed: another consumer took the ticket; reload it.
                pos = head.pointee.load(ordering: .relaxed)
            }
        }
    }

    /// The value `ahead` places behind the oldest, without removing anything; nil when there is
    /// none or it is not published yet. A hint: consumers may take it meanwhile.
    @inline(__always)
    func peek(ahead: Int = 0) -> UInt64? {
        // Relaxed: a ticket.
        let pos = head.pointee.load(ordering: .relaxed) &+ UInt64(ahead)
        let cell = sequence(pos)
        // Acquiring: pairs with enqueue's releasing sequence store; the value is visible.
        guard cell.pointee.load(ordering: .acquiring) == pos &+ 1 else { return nil }
        // Relaxed: made visible by the acquiring load above.
        return (cell + 1).pointee.load(ordering: .relaxed)
    }

    /// Approximate number of queued values.
    var approximateCount: Int {
        // Relaxed: a statistic.
        let t = tail.pointee.load(ordering: .relaxed)
        let h = head.pointee.load(ordering: .relaxed)
        return t >= h ? Int(t &- h) : 0
    }
}
