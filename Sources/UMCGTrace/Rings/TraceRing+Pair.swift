import Synchronization
import UMCGSystem

extension TraceRing {
    /// Slots ahead of the write position whose line a pair push prefetches (8 lines of 2 events).
    @inlinable static var prefetchDistance: UInt64 { 16 }

    /// Appends `first` then `second` with one capacity check and one publication of the write
    /// index (the events of one switch), and prefetches the line the producer will write
    /// `prefetchDistance` slots later, so its miss is taken while the producer waits (a server
    /// in CTX_SWITCH) rather than in the next push. Returns false when either was dropped (with
    /// drops pending or room for fewer than two, it pushes them one by one). Producer only.
    @inlinable @inline(__always)
    @discardableResult
    public func push(_ first: TraceEvent, _ second: TraceEvent) -> Bool {
        let priv = producerPrivate
        let w = priv[Private.write]
        guard priv[Private.pendingDrops] == 0, w &+ 2 &- priv[Private.cachedRead] <= slotCount else {
            return pushOneByOne(first, second)
        }
        slots[Int(w & mask)] = first
        slots[Int((w &+ 1) & mask)] = second
        priv[Private.write] = w &+ 2
        // Releasing: pairs with the consumer's acquiring load of writeIndex, publishing both slots.
        writeIndex.pointee.store(w &+ 2, ordering: .releasing)
        CPU.prefetch(slots + Int((w &+ Self.prefetchDistance) & mask))
        return true
    }

    /// The pair push's slow path: the cached read index is stale, the ring is full, or drops wait for their marker.
    @inline(never) @usableFromInline
    func pushOneByOne(_ first: TraceEvent, _ second: TraceEvent) -> Bool {
        let a = push(first)
        let b = push(second)
        return a && b
    }
}
