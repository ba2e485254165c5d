import Synchronization

/// A bounded single-producer / single-consumer ring of `TraceEvent`s.
///
/// Threading rule: exactly one thread calls `push` (the producer, usually the
/// thread that made the ring) and exactly one thread calls `drain` (the consumer).
/// `dropped` may be read from anywhere.
///
/// The push path never locks, never allocates and never waits: when the ring is
/// full the event is counted as dropped. The next successful push first writes a
/// `.dropped` marker carrying how many events were lost (and the timestamp of the
/// first lost one), so the consumer sees exactly where the gap is.
public final class TraceRing: @unchecked Sendable {
    // SAFETY: the slots between readIndex and writeIndex belong to the consumer,
    // the rest to the producer; ownership moves only through the release/acquire
    // pairs on writeIndex and readIndex below. Producer-private fields are touched
    // only by the producer thread.

    /// Bytes between hot fields so producer and consumer never share a cache line.
    private static let pad = 128

    /// Slots in the ring (a power of two).
    public let capacity: Int
    private let mask: UInt64
    /// A label for the producer ("srv0", "worker 7"); shown in drop reports.
    public let label: String

    private let memory: UnsafeMutableRawPointer
    private let slots: UnsafeMutablePointer<TraceEvent>

    // Layout of `memory`, one field per 128-byte line:
    // [0]   writeIndex: Atomic<UInt64>   written by the producer, read by the consumer
    // [128] readIndex:  Atomic<UInt64>   written by the consumer, read by the producer
    // [256] dropped:    Atomic<UInt64>   total drops, written by the producer, read by anyone
    // [384] producer-private: cachedRead, pendingDrops, firstDropTimestamp (plain UInt64s)
    private var writeIndex: UnsafeMutablePointer<Atomic<UInt64>> {
        memory.assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    private var readIndex: UnsafeMutablePointer<Atomic<UInt64>> {
        (memory + Self.pad).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    private var droppedTotal: UnsafeMutablePointer<Atomic<UInt64>> {
        (memory + 2 * Self.pad).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    private var producerPrivate: UnsafeMutablePointer<UInt64> {
        (memory + 3 * Self.pad).assumingMemoryBound(to: UInt64.self)
    }

    /// Creates a ring with at least `minimumCapacity` slots (rounded up to a power of two, at least 2).
    public init(minimumCapacity: Int, label: String = "") {
        var cap = 2
        while cap < minimumCapacity { cap <<= 1 }
        capacity = cap
        mask = UInt64(cap - 1)
        self.label = label
        memory = UnsafeMutableRawPointer.allocate(byteCount: 4 * Self.pad, alignment: Self.pad)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: 4 * Self.pad)
        memory.bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + Self.pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + 2 * Self.pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + 3 * Self.pad).bindMemory(to: UInt64.self, capacity: 3).initialize(repeating: 0, count: 3)
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: cap * MemoryLayout<TraceEvent>.stride, alignment: Self.pad)
        slots = raw.bindMemory(to: TraceEvent.self, capacity: cap)
    }

    deinit {
        writeIndex.deinitialize(count: 1)
        readIndex.deinitialize(count: 1)
        droppedTotal.deinitialize(count: 1)
        memory.deallocate()
        UnsafeMutableRawPointer(slots).deallocate()
    }

    /// Events lost because the ring was full, since creation.
    public var dropped: UInt64 {
        // Relaxed: a statistic; no data is published through it.
        droppedTotal.pointee.load(ordering: .relaxed)
    }

    /// Events currently waiting for the consumer (approximate from any thread but the consumer).
    public var count: Int {
        let w = writeIndex.pointee.load(ordering: .acquiring)
        let r = readIndex.pointee.load(ordering: .acquiring)
        return Int(truncatingIfNeeded: w &- r)
    }

    /// Appends `event`; returns false (and counts a drop) when the ring is full. Producer only.
    @inline(__always)
    @discardableResult
    public func push(_ event: TraceEvent) -> Bool {
        let priv = producerPrivate
        // Relaxed: only this thread writes writeIndex.
        var w = writeIndex.pointee.load(ordering: .relaxed)
        let pending = priv[1]
        let needed: UInt64 = pending == 0 ? 1 : 2
        if w &+ needed &- priv[0] > UInt64(capacity) {
            // Acquiring: pairs with the consumer's releasing store of readIndex,
            // so the slots it freed are really free before we overwrite them.
            priv[0] = readIndex.pointee.load(ordering: .acquiring)
            if w &+ needed &- priv[0] > UInt64(capacity) {
                if pending == 0 { priv[2] = event.timestamp }
                priv[1] = pending &+ 1
                // Relaxed: a statistic.
                droppedTotal.pointee.add(1, ordering: .relaxed)
                return false
            }
        }
        if pending != 0 {
            slots[Int(w & mask)] = TraceEvent(
                timestamp: priv[2], kind: .dropped, server: event.server, worker: event.worker,
                cpu: event.cpu, arg: pending)
            w &+= 1
            priv[1] = 0
        }
        slots[Int(w & mask)] = event
        // Releasing: pairs with the consumer's acquiring load of writeIndex,
        // publishing the slot contents written above.
        writeIndex.pointee.store(w &+ 1, ordering: .releasing)
        return true
    }

    /// Passes up to `limit` waiting events, oldest first, to `body` and frees their slots. Consumer only.
    /// Returns how many were passed.
    @inline(__always)
    @discardableResult
    public func drain(limit: Int = .max, _ body: (TraceEvent) throws -> Void) rethrows -> Int {
        // Relaxed: only this thread writes readIndex.
        let r = readIndex.pointee.load(ordering: .relaxed)
        // Acquiring: pairs with the producer's releasing store; the slots up to w are written.
        let w = writeIndex.pointee.load(ordering: .acquiring)
        let available = Int(truncatingIfNeeded: w &- r)
        let n = min(available, max(0, limit))
        var i = 0
        while i < n {
            try body(slots[Int((r &+ UInt64(i)) & mask)])
            i += 1
        }
        // Releasing: pairs with the producer's acquiring load of readIndex; we are done reading those slots.
        readIndex.pointee.store(r &+ UInt64(n), ordering: .releasing)
        return n
    }
}
