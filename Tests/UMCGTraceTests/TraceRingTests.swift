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
}
