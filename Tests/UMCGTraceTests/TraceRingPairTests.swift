import Testing
import UMCGSystem

@testable import UMCGTrace

@Suite struct TraceRingPairTests {
    static func ev(_ t: UInt64) -> TraceEvent { TraceEvent(timestamp: t, kind: .wake, worker: UInt32(t)) }

    /// Pairs land in order, across the wrap, interleaved with single pushes.
    @Test func pairsArriveInOrderAcrossLaps() {
        let ring = TraceRing(minimumCapacity: 8)
        var expected: [UInt64] = []
        var seen: [UInt64] = []
        var t: UInt64 = 0
        for lap in 0..<20 {
            #expect(ring.push(Self.ev(t), Self.ev(t + 1)))
            expected += [t, t + 1]
            t += 2
            if lap % 3 == 0 {
                #expect(ring.push(Self.ev(t)))
                expected.append(t)
                t += 1
            }
            ring.drain { seen.append($0.timestamp) }
        }
        #expect(seen == expected)
        #expect(ring.dropped == 0)
    }

    /// With room for one, the first event goes in and the second is dropped (and marked when room returns).
    @Test func pairIntoAnAlmostFullRingDropsTheSecondAndMarksIt() {
        let ring = TraceRing(minimumCapacity: 4)
        for i in 0..<3 { ring.push(Self.ev(UInt64(i))) }
        #expect(!ring.push(Self.ev(3), Self.ev(4)))
        #expect(ring.dropped == 1)
        var seen: [TraceEvent] = []
        ring.drain { seen.append($0) }
        #expect(seen.map(\.timestamp) == [0, 1, 2, 3])
        #expect(ring.push(Self.ev(5), Self.ev(6)))
        seen.removeAll()
        ring.drain { seen.append($0) }
        #expect(seen.map(\.kind) == [.dropped, .wake, .wake])
        #expect(seen[0].arg == 1 && seen[0].timestamp == 4)
        #expect(seen.dropFirst().map(\.timestamp) == [5, 6])
    }
}
