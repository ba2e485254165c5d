import Synchronization

/// A bounded single-producer / single-consumer ring of `TraceEvent`s.
///
/// Threading rule: one thread at a time calls `push` / `flushPendingDrops` (the producer,
/// usually the thread that made the ring) and one thread at a time calls `drain` (the consumer).
/// Either role may move to another thread only with a happens-before edge (a join, a lock), as the
/// pump's consumer role does when `stop()` joins its thread. `dropped` and `count` may be read from anywhere.
///
/// The push path never locks, never allocates and never waits: when the ring is
/// full the event is counted as dropped. The next successful push first writes a
/// `.dropped` marker carrying how many events were lost (and the timestamp of the
/// first lost one), so the consumer sees exactly where the gap is.
/// The marker's `server`, `worker` and `cpu` are those every lost event shared, or the
/// "no…" value when the lost events differed in that field.
/// Drops still pending when the producer stops are visible only in `dropped`:
/// a consumer reconciles them as `dropped - (sum of marker counts it saw)`.
public final class TraceRing: @unchecked Sendable {
    // SAFETY: the slots between readIndex and writeIndex belong to the consumer,
    // the rest to the producer; ownership moves only through the release/acquire
    // pairs on writeIndex and readIndex below. Producer-private fields are touched
    // only by the producer thread.

    /// Bytes between hot fields so producer and consumer never share a cache line.
    @inlinable static var pad: Int { 128 }
    /// The largest ring we build (2^30 slots = 32 GiB); bigger requests are clamped.
    private static let maximumCapacity = 1 << 30

    /// Slots in the ring (a power of two).
    public let capacity: Int
    @usableFromInline let mask: UInt64
    /// `capacity` as the indices' type (no conversion check on the push path).
    @inlinable var slotCount: UInt64 { mask &+ 1 }
    /// A label for the producer ("srv0", "worker 7"); shown in drop reports.
    public let label: String

    @usableFromInline let memory: UnsafeMutableRawPointer
    @usableFromInline let slots: UnsafeMutablePointer<TraceEvent>
    /// What keeps external memory mapped (nil: the ring allocated its memory and frees it).
    private let memoryOwner: AnyObject?

    // Layout of `memory`, one field per 128-byte line:
    // [0]   writeIndex: Atomic<UInt64>   written by the producer, read by the consumer
    // [128] readIndex:  Atomic<UInt64>   written by the consumer, read by the producer
    // [256] dropped:    Atomic<UInt64>   total drops, written by the producer, read by anyone
    // [384] producer-private plain UInt64s, see `Private`.
    // (`@usableFromInline` members let other modules inline `push`; they are not API.)
    @inlinable var writeIndex: UnsafeMutablePointer<Atomic<UInt64>> {
        memory.assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inlinable var readIndex: UnsafeMutablePointer<Atomic<UInt64>> {
        (memory + Self.pad).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inlinable var droppedTotal: UnsafeMutablePointer<Atomic<UInt64>> {
        (memory + 2 * Self.pad).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inlinable var producerPrivate: UnsafeMutablePointer<UInt64> {
        (memory + 3 * Self.pad).assumingMemoryBound(to: UInt64.self)
    }

    /// Indices into the producer-private words.
    @usableFromInline enum Private {
        /// The consumer's readIndex as last seen (a lower bound of the real one).
        @inlinable static var cachedRead: Int { 0 }
        /// Drops not yet announced by a marker.
        @inlinable static var pendingDrops: Int { 1 }
        /// Timestamp of the first unannounced drop.
        @inlinable static var firstDropTimestamp: Int { 2 }
        /// server (bits 0–15) and cpu (bits 16–31) shared by the unannounced drops.
        @inlinable static var dropLocation: Int { 3 }
        /// worker shared by the unannounced drops (low 32 bits).
        @inlinable static var dropWorker: Int { 4 }
        /// The producer's copy of writeIndex (only it writes the index), so pushes never load the shared line.
        @inlinable static var write: Int { 5 }
        @inlinable static var count: Int { 6 }
    }

    /// Creates a ring with at least `minimumCapacity` slots (rounded up to a power of two, at least 2, at most 2^30).
    public init(minimumCapacity: Int, label: String = "") {
        var cap = 2
        let wanted = min(minimumCapacity, Self.maximumCapacity)
        while cap < wanted { cap <<= 1 }
        capacity = cap
        mask = UInt64(cap - 1)
        self.label = label
        memory = UnsafeMutableRawPointer.allocate(byteCount: 4 * Self.pad, alignment: Self.pad)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: 4 * Self.pad)
        memory.bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + Self.pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + 2 * Self.pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + 3 * Self.pad).bindMemory(to: UInt64.self, capacity: Private.count)
            .initialize(repeating: 0, count: Private.count)
        let bytes = cap * MemoryLayout<TraceEvent>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: Self.pad)
        // Written once now, so every page is resident from the start: left to the first lap, a
        // slow producer's ring grows the resident set for hours (the soak's "RSS creep").
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        slots = raw.bindMemory(to: TraceEvent.self, capacity: cap)
        memoryOwner = nil
    }

    /// Bytes of external memory a ring of `capacity` slots takes: `controlBytes` of indices, then the slots.
    public static func externalBytes(capacity: Int) -> Int { controlBytes + capacity * MemoryLayout<TraceEvent>.stride }

    /// Bytes of the index lines before the slots in external memory.
    public static var controlBytes: Int { 4 * pad }

    /// Creates a ring over `memory`, `externalBytes(capacity:)` bytes aligned to 128 (e.g. in a
    /// shared mapping), zeroing it. `capacity` must be a power of two, at least 2. The ring never
    /// frees the memory; it keeps `owner` (what maps it) alive as long as it lives.
    public init(externalMemory memory: UnsafeMutableRawPointer, capacity: Int, label: String = "", owner: AnyObject) {
        precondition(capacity >= 2 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two")
        self.capacity = capacity
        mask = UInt64(capacity - 1)
        self.label = label
        self.memory = memory
        memoryOwner = owner
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.externalBytes(capacity: capacity))
        memory.bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + Self.pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + 2 * Self.pad).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (memory + 3 * Self.pad).bindMemory(to: UInt64.self, capacity: Private.count)
            .initialize(repeating: 0, count: Private.count)
        slots = (memory + Self.controlBytes).bindMemory(to: TraceEvent.self, capacity: capacity)
    }

    deinit {
        if memoryOwner != nil { return }  // external memory: its owner unmaps it
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
        // readIndex first: both indices only grow and read ≤ write at every instant,
        // so a write index loaded afterwards is never behind it.
        // Acquiring: pairs with the consumer's releasing store of readIndex.
        let r = readIndex.pointee.load(ordering: .acquiring)
        // Acquiring: pairs with the producer's releasing store of writeIndex.
        let w = writeIndex.pointee.load(ordering: .acquiring)
        return Int(truncatingIfNeeded: min(w &- r, slotCount))
    }

    /// Appends `event`; returns false (and counts a drop) when the ring is full. Producer only.
    @inlinable @inline(__always)
    @discardableResult
    public func push(_ event: TraceEvent) -> Bool {
        let priv = producerPrivate
        // Only this thread writes writeIndex, so its private copy is exact.
        var w = priv[Private.write]
        let pending = priv[Private.pendingDrops]
        let needed: UInt64 = pending == 0 ? 1 : 2
        if w &+ needed &- priv[Private.cachedRead] > slotCount {
            // Acquiring: pairs with the consumer's releasing store of readIndex,
            // so the slots it freed are really free before we overwrite them.
            priv[Private.cachedRead] = readIndex.pointee.load(ordering: .acquiring)
            if w &+ needed &- priv[Private.cachedRead] > slotCount {
                recordDrop(event, pending: pending, priv)
                return false
            }
        }
        if pending != 0 {
            slots[Int(w & mask)] = marker(pending: pending, priv)
            w &+= 1
            priv[Private.pendingDrops] = 0
        }
        slots[Int(w & mask)] = event
        priv[Private.write] = w &+ 1
        // Releasing: pairs with the consumer's acquiring load of writeIndex,
        // publishing the slot contents written above.
        writeIndex.pointee.store(w &+ 1, ordering: .releasing)
        return true
    }

    /// Appends `events` in order, as `push` would one by one (the same drops and markers), with one
    /// copy and one store of the write index when they all fit. Producer only. Returns how many
    /// were stored.
    @discardableResult
    public func push(contentsOf events: UnsafeBufferPointer<TraceEvent>) -> Int {
        let priv = producerPrivate
        let w = priv[Private.write]
        let n = UInt64(events.count)
        if priv[Private.pendingDrops] == 0, let source = events.baseAddress {
            if w &+ n &- priv[Private.cachedRead] > slotCount {
                // Acquiring: pairs with the consumer's releasing store of readIndex,
                // so the slots it freed are really free before we overwrite them.
                priv[Private.cachedRead] = readIndex.pointee.load(ordering: .acquiring)
            }
            if w &+ n &- priv[Private.cachedRead] <= slotCount {
                let start = Int(w & mask)
                let first = min(events.count, capacity - start)
                (slots + start).update(from: source, count: first)
                if first < events.count { slots.update(from: source + first, count: events.count - first) }
                priv[Private.write] = w &+ n
                // Releasing: pairs with the consumer's acquiring load of writeIndex,
                // publishing the slot contents written above.
                writeIndex.pointee.store(w &+ n, ordering: .releasing)
                return events.count
            }
        }
        var stored = 0
        for e in events where push(e) { stored += 1 }
        return stored
    }

    /// Writes the `.dropped` marker for drops not yet announced, if there is room. Producer only.
    /// Returns true when nothing is pending any more. Call it before a producer goes quiet.
    @discardableResult
    public func flushPendingDrops() -> Bool {
        let priv = producerPrivate
        let pending = priv[Private.pendingDrops]
        if pending == 0 { return true }
        let w = priv[Private.write]
        // Acquiring: pairs with the consumer's releasing store of readIndex (slots freed).
        priv[Private.cachedRead] = readIndex.pointee.load(ordering: .acquiring)
        if w &+ 1 &- priv[Private.cachedRead] > slotCount { return false }
        slots[Int(w & mask)] = marker(pending: pending, priv)
        priv[Private.pendingDrops] = 0
        priv[Private.write] = w &+ 1
        // Releasing: pairs with the consumer's acquiring load of writeIndex (publishes the marker).
        writeIndex.pointee.store(w &+ 1, ordering: .releasing)
        return true
    }

    /// Counts one lost event and remembers what the lost events share. Producer only, cold path.
    @inline(never) @usableFromInline
    func recordDrop(_ event: TraceEvent, pending: UInt64, _ priv: UnsafeMutablePointer<UInt64>) {
        let location = UInt64(event.server) | UInt64(event.cpu) << 16
        if pending == 0 {
            priv[Private.firstDropTimestamp] = event.timestamp
            priv[Private.dropLocation] = location
            priv[Private.dropWorker] = UInt64(event.worker)
            priv[Private.pendingDrops] = 1
            countDropped()
        } else {
            countFurtherDrop(location: location, worker: event.worker, pending: pending, priv)
        }
    }

    /// Counts a lost event that joins a pending run of drops: merges its server, cpu (`location`,
    /// as in `Private.dropLocation`) and worker into what the run shares. Producer only.
    @inlinable @inline(__always)
    func countFurtherDrop(location: UInt64, worker: UInt32, pending: UInt64, _ priv: UnsafeMutablePointer<UInt64>) {
        let old = priv[Private.dropLocation]
        if old != location {
            var merged = old
            if old & 0xFFFF != location & 0xFFFF { merged |= 0xFFFF }  // servers differ → noServer
            if old & 0xFFFF_0000 != location & 0xFFFF_0000 { merged |= 0xFFFF_0000 }  // cpus differ → noCPU
            priv[Private.dropLocation] = merged
        }
        if priv[Private.dropWorker] != UInt64(worker) {
            priv[Private.dropWorker] = UInt64(TraceEvent.noWorker)
        }
        priv[Private.pendingDrops] = pending &+ 1
        countDropped()
    }

    /// Adds one to `dropped`. Producer only.
    @inlinable @inline(__always)
    func countDropped() {
        // Relaxed: a statistic; consumers that reconcile read it after joining the producer. A load
        // and a store, not an atomic add: only the producer writes it (a locked add per dropped
        // event was most of what a full ring cost a publishing program with no viewer).
        droppedTotal.pointee.store(droppedTotal.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Counts an event with this `server`, `worker` and `cpu` as lost, without the event, when `push`
    /// would drop it and the drop joins a pending run (the ring is full and was full at the last
    /// push: a producer nobody drains); returns false, counting nothing, when the caller must `push`
    /// the event (there is room, or the drop would be the first of a run, whose marker needs the
    /// event's timestamp). The counts and the marker are exactly those `push` would make; the event's
    /// timestamp, kind and arg do not matter here. Producer only.
    @inlinable @inline(__always)
    public func dropIfFull(server: UInt16, worker: UInt32, cpu: UInt16) -> Bool {
        let priv = producerPrivate
        let pending = priv[Private.pendingDrops]
        guard pending != 0 else { return false }
        // With drops pending, a push needs room for the marker and the event.
        let w = priv[Private.write] &+ 2
        if w &- priv[Private.cachedRead] <= slotCount { return false }
        // Acquiring: pairs with the consumer's releasing store of readIndex (as in `push`).
        let r = readIndex.pointee.load(ordering: .acquiring)
        priv[Private.cachedRead] = r
        if w &- r <= slotCount { return false }
        countFurtherDrop(location: UInt64(server) | UInt64(cpu) << 16, worker: worker, pending: pending, priv)
        return true
    }

    /// The `.dropped` marker for `pending` unannounced drops.
    @inlinable @inline(__always)
    func marker(pending: UInt64, _ priv: UnsafeMutablePointer<UInt64>) -> TraceEvent {
        let location = priv[Private.dropLocation]
        return TraceEvent(
            timestamp: priv[Private.firstDropTimestamp], kind: .dropped,
            server: UInt16(truncatingIfNeeded: location),
            worker: UInt32(truncatingIfNeeded: priv[Private.dropWorker]),
            cpu: UInt16(truncatingIfNeeded: location >> 16), arg: pending)
    }

    /// Passes up to `limit` waiting events, oldest first, to `body` as at most two contiguous runs of
    /// the ring's own slots (no copy; the second run starts where the ring wraps), then frees their
    /// slots. Consumer only. Returns how many were passed. The buffers are valid only inside `body`.
    @discardableResult
    public func drainBatches(limit: Int = .max, _ body: (UnsafeBufferPointer<TraceEvent>) -> Void) -> Int {
        // Relaxed: only this thread writes readIndex.
        let r = readIndex.pointee.load(ordering: .relaxed)
        // Acquiring: pairs with the producer's releasing store; the slots up to w are written.
        let w = writeIndex.pointee.load(ordering: .acquiring)
        let available = Int(truncatingIfNeeded: min(w &- r, slotCount))
        let n = min(available, max(0, limit))
        guard n > 0 else { return 0 }
        let start = Int(r & mask)
        let first = min(n, capacity - start)
        body(UnsafeBufferPointer(start: slots + start, count: first))
        if first < n { body(UnsafeBufferPointer(start: slots, count: n - first)) }
        // Releasing: pairs with the producer's acquiring load of readIndex; we are done reading
        // those slots, so it may overwrite them.
        readIndex.pointee.store(r &+ UInt64(n), ordering: .releasing)
        return n
    }

    /// Passes up to `limit` waiting events, oldest first, to `body` and frees their slots. Consumer only.
    /// Returns how many were passed. If `body` throws, the event it threw on counts as consumed.
    @inline(__always)
    @discardableResult
    public func drain(limit: Int = .max, _ body: (TraceEvent) throws -> Void) rethrows -> Int {
        // Relaxed: only this thread writes readIndex.
        let r = readIndex.pointee.load(ordering: .relaxed)
        // Acquiring: pairs with the producer's releasing store; the slots up to w are written.
        let w = writeIndex.pointee.load(ordering: .acquiring)
        let available = Int(truncatingIfNeeded: min(w &- r, slotCount))
        let n = min(available, max(0, limit))
        var i = 0
        defer {
            // Releasing: pairs with the producer's acquiring load of readIndex; we are done
            // reading those slots, so it may overwrite them.
            readIndex.pointee.store(r &+ UInt64(i), ordering: .releasing)
        }
        while i < n {
            let event = slots[Int((r &+ UInt64(i)) & mask)]
            i += 1
            try body(event)
        }
        return n
    }
}
