import Testing
import UMCGSystem

@testable import UMCGTrace

@Suite struct TraceRingTests {
    @Test func eventIs32Bytes() {
        #expect(MemoryLayout<TraceEvent>.stride == 32)
    }

    @Test func fullRingDropsAndMarksTheGap() {
        let ring = TraceRing(minimumCapacity: 4)
        for i in 0..<6 { ring.push(TraceEvent(timestamp: UInt64(i), kind: .wake, worker: UInt32(i))) }
        #expect(ring.dropped == 2)
        var seen: [TraceEvent] = []
        ring.drain { seen.append($0) }
        #expect(seen.map(\.timestamp) == [0, 1, 2, 3])
        ring.push(TraceEvent(timestamp: 10, kind: .wake, worker: 9))
        seen.removeAll()
        ring.drain { seen.append($0) }
        #expect(seen.count == 2)
        #expect(seen[0].kind == .dropped && seen[0].arg == 2 && seen[0].timestamp == 4)
        #expect(seen[1].timestamp == 10)
    }

    /// `drainBatches` passes the ring's own slots: one run, or two where the ring wraps, in order,
    /// bounded by `limit`, and frees them for the producer.
    @Test func drainBatchesPassesContiguousRunsAcrossTheWrap() {
        let ring = TraceRing(minimumCapacity: 8)
        for i in 0..<6 { ring.push(TraceEvent(timestamp: UInt64(i), kind: .wake)) }
        var runs: [[UInt64]] = []
        #expect(ring.drainBatches(limit: 4) { runs.append($0.map(\.timestamp)) } == 4)
        #expect(runs == [[0, 1, 2, 3]])
        for i in 6..<12 { #expect(ring.push(TraceEvent(timestamp: UInt64(i), kind: .wake))) }
        #expect(ring.count == 8)
        runs.removeAll()
        #expect(ring.drainBatches { runs.append($0.map(\.timestamp)) } == 8)
        #expect(runs == [[4, 5, 6, 7], [8, 9, 10, 11]])
        #expect(ring.count == 0)
        #expect(ring.drainBatches { _ in Issue.record("nothing is waiting") } == 0)
        for i in 12..<20 { #expect(ring.push(TraceEvent(timestamp: UInt64(i), kind: .wake))) }
        #expect(ring.dropped == 0)
        runs.removeAll()
        #expect(ring.drainBatches(limit: 3) { runs.append($0.map(\.timestamp)) } == 3)
        #expect(runs == [[12, 13, 14]])
    }

    /// `push(contentsOf:)` stores what `push` one by one would: all of it across the wrap when it
    /// fits, and the same drops and gap marker when it does not.
    @Test func pushContentsOfMatchesPushingOneByOne() {
        func events(_ range: Range<Int>) -> [TraceEvent] {
            range.map { TraceEvent(timestamp: UInt64($0), kind: .wake, server: UInt16($0 % 3), worker: UInt32($0)) }
        }
        let batched = TraceRing(minimumCapacity: 8)
        let single = TraceRing(minimumCapacity: 8)
        var seenBatched: [TraceEvent] = []
        var seenSingle: [TraceEvent] = []
        // Fits (the second batch wraps), does not fit (drops), fits again after a drain (marker first).
        for (range, drainAfter) in [(0..<5, 3), (5..<11, 0), (11..<20, 8), (20..<23, 8)] {
            let stored = events(range).withUnsafeBufferPointer { batched.push(contentsOf: $0) }
            var expected = 0
            for e in events(range) where single.push(e) { expected += 1 }
            #expect(stored == expected)
            #expect(batched.dropped == single.dropped && batched.count == single.count)
            batched.drain(limit: drainAfter) { seenBatched.append($0) }
            single.drain(limit: drainAfter) { seenSingle.append($0) }
        }
        batched.drain { seenBatched.append($0) }
        single.drain { seenSingle.append($0) }
        #expect(seenBatched == seenSingle)
        #expect(batched.dropped > 0)
        #expect(seenBatched.contains { $0.kind == .dropped })
        #expect(seenBatched.map(\.timestamp).prefix(5) == [0, 1, 2, 3, 4])
    }
}
