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
}
