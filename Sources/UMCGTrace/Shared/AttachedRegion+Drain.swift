import Synchronization

extension AttachedRegion {
    /// What one ring of the target says about itself.
    public struct RingStatus: Sendable, Equatable {
        /// Its label ("srv0").
        public var label: String
        /// The producing thread's tid (0 if not known).
        public var tid: Int32
        /// Slots.
        public var capacity: Int
        /// Events pushed since creation (its write index).
        public var published: UInt64
        /// Events the ring dropped because it was full.
        public var dropped: UInt64
    }

    /// The target's valid rings now.
    public var rings: [RingStatus] {
        var rejected = 0
        let statuses = ValidatedRing.scan(memory, layout, rejected: &rejected).map { ring in
            RingStatus(
                label: ring.label, tid: ring.tid, capacity: ring.capacity,
                // Relaxed: statistics.
                published: memory.atomic64(ring.offset).pointee.load(ordering: .relaxed),
                dropped: memory.atomic64(ring.offset + 256).pointee.load(ordering: .relaxed))
        }
        return isTruncated ? [] : statuses
    }

    /// Events the target pushed into its rings so far.
    public var eventsPublished: UInt64 { rings.reduce(0) { $0 &+ $1.published } }

    /// Events the target's rings dropped because they were full.
    public var droppedByTarget: UInt64 { rings.reduce(0) { $0 &+ $1.dropped } }

    /// Passes up to `limit` waiting events of each ring (at most its capacity) to `body`, oldest
    /// first per ring, and frees their slots; returns how many were passed. Only the viewer
    /// holding the consumer lease drains (see `acquireConsumer`); others get 0.
    ///
    /// Each slot is read field by field and checked: its kind byte (the enum's in-memory tag) is
    /// mapped through the header's kind table; an unknown one becomes a `.dropped` gap
    /// marker (runs of them one marker). A write index behind the read index, or more than a
    /// ring ahead, is clamped: the ring is resynchronised with a gap marker for what was skipped.
    @discardableResult
    public func drain(limit: Int = .max, _ body: (TraceEvent) -> Void) -> Int {
        guard acquireConsumer() else { return 0 }
        var rejected = 0
        let rings = ValidatedRing.scan(memory, layout, rejected: &rejected)
        if isTruncated { return 0 }
        rejectedRings = rejected
        var total = 0
        for ring in rings {
            total += drain(ring, limit: max(0, limit), body)
            if guarded.faulted { break }
        }
        return total
    }

    /// The most events `drainBatches` passes in one batch: 4,096 (128 KiB, still in the L2 cache;
    /// the viewer's fold, which consumes the batches, has a fixed cost per batch).
    public static let batchCapacity = 4096

    /// `drain(limit:_:)`, passing the events in batches (up to `batchCapacity`, in order) instead of
    /// one by one; each buffer is valid only during its call of `body`.
    @discardableResult
    public func drainBatches(limit: Int = .max, _ body: (UnsafeBufferPointer<TraceEvent>) -> Void) -> Int {
        withUnsafeTemporaryAllocation(of: TraceEvent.self, capacity: Self.batchCapacity) { buffer in
            var n = 0
            let passed = drain(limit: limit) { event in
                buffer.initializeElement(at: n, to: event)
                n += 1
                if n == buffer.count {
                    // A plain value (`BitwiseCopyable`): the slots are simply written over.
                    body(UnsafeBufferPointer(rebasing: buffer[0..<n]))
                    n = 0
                }
            }
            if n > 0 { body(UnsafeBufferPointer(rebasing: buffer[0..<n])) }
            return passed
        }
    }

    private func drain(_ ring: ValidatedRing, limit: Int, _ body: (TraceEvent) -> Void) -> Int {
        let writeIndex = memory.atomic64(ring.offset)
        let readIndex = memory.atomic64(ring.offset + 128)
        let capacity = UInt64(ring.capacity)
        // Relaxed: the lease makes us the only writer of readIndex (a hostile target may still write it).
        var r = readIndex.pointee.load(ordering: .relaxed)
        // Acquiring: pairs with the producer's releasing store; the slots up to w are written.
        let w = writeIndex.pointee.load(ordering: .acquiring)
        // A truncated region (the guard zeroed its pages): pass on nothing read from it.
        if isTruncated { return 0 }
        var passed = 0
        if w < r {
            // Behind us: resynchronise, nothing to read.
            // Releasing: pairs with the producer's acquiring load of readIndex.
            readIndex.pointee.store(w, ordering: .releasing)
            return 0
        }
        if w - r > capacity {
            // More than a ring ahead cannot happen with an honest producer: skip to the last lap.
            let skipped = w - r - capacity
            body(TraceEvent(timestamp: 0, kind: .dropped, arg: skipped))
            passed += 1
            r = w - capacity
        }
        let n = Int(min(w - r, UInt64(limit)))
        let mask = capacity - 1
        let slots = ring.offset + RegionLayout.ringControlBytes
        var gap: UInt64 = 0
        var lastTimestamp: UInt64 = 0
        for i in 0..<n {
            let at = slots + Int((r &+ UInt64(i)) & mask) * RegionLayout.slotBytes
            let tag = Int(memory.u8(at + RegionLayout.slotKind))
            if guarded.faulted { return passed }
            guard tag < kinds.count, let kind = kinds[tag] else {
                gap += 1
                continue
            }
            if gap > 0 {
                body(TraceEvent(timestamp: lastTimestamp, kind: .dropped, arg: gap))
                invalidEvents += Int(gap)
                passed += 1
                gap = 0
            }
            let event = TraceEvent(
                timestamp: memory.u64(at + RegionLayout.slotTimestamp), kind: kind,
                server: memory.u16(at + RegionLayout.slotServer), worker: memory.u32(at + RegionLayout.slotWorker),
                cpu: memory.u16(at + RegionLayout.slotCPU), arg: memory.u64(at + RegionLayout.slotArg),
                flags: memory.u8(at + RegionLayout.slotFlags))
            if guarded.faulted { return passed }
            lastTimestamp = event.timestamp
            body(event)
            passed += 1
        }
        if gap > 0 {
            body(TraceEvent(timestamp: lastTimestamp, kind: .dropped, arg: gap))
            invalidEvents += Int(gap)
            passed += 1
        }
        // Releasing: pairs with the producer's acquiring load of readIndex; we are done with those slots.
        readIndex.pointee.store(r &+ UInt64(n), ordering: .releasing)
        return passed
    }
}
