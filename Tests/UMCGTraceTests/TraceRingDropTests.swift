import Testing

@testable import UMCGTrace

/// `TraceRing.dropIfFull`, the full-ring fast path of a producer nobody drains: it counts exactly
/// the drops `push` would count, with the same `.dropped` markers (count, first timestamp, what the
/// lost events shared), and leaves everything else to `push`.
@Suite struct TraceRingDropTests {
    /// The events of a producer whose server, worker and cpu change now and then.
    static func events(_ range: Range<Int>) -> [TraceEvent] {
        range.map {
            TraceEvent(
                timestamp: UInt64($0), kind: .wake, server: UInt16($0 / 7 % 2), worker: UInt32($0 / 11 % 2),
                cpu: UInt16($0 / 5 % 3), arg: UInt64($0))
        }
    }

    @Test func fastPathMatchesPushingEveryEvent() {
        let fast = TraceRing(minimumCapacity: 8)
        let plain = TraceRing(minimumCapacity: 8)
        var seenFast: [TraceEvent] = []
        var seenPlain: [TraceEvent] = []
        var fastDrops = 0
        // Fills, drops long runs (the servers, workers and cpus of the lost events change within
        // the runs), drains a little or a lot, and drops again.
        for (range, drainAfter) in [(0..<5, 0), (5..<40, 3), (40..<60, 8), (60..<100, 1), (100..<103, 8)] {
            for e in Self.events(range) {
                let pushed = plain.push(e)
                if fast.dropIfFull(server: e.server, worker: e.worker, cpu: e.cpu) {
                    fastDrops += 1
                    #expect(!pushed, "the fast path dropped an event push stored")
                } else {
                    #expect(fast.push(e) == pushed)
                }
                #expect(fast.dropped == plain.dropped && fast.count == plain.count)
            }
            fast.drain(limit: drainAfter) { seenFast.append($0) }
            plain.drain(limit: drainAfter) { seenPlain.append($0) }
        }
        #expect(fast.flushPendingDrops() == plain.flushPendingDrops())
        fast.drain { seenFast.append($0) }
        plain.drain { seenPlain.append($0) }
        #expect(seenFast == seenPlain)
        #expect(fastDrops > 50)
        let markers = seenFast.filter { $0.kind == .dropped }
        #expect(markers.count >= 3)
        #expect(markers.reduce(0) { $0 + $1.arg } == fast.dropped)
    }

    /// No drop pending: the first drop of a run goes through `push`, which keeps its timestamp for
    /// the marker; with room, nothing is dropped.
    @Test func firstDropAndRoomAreLeftToPush() {
        let ring = TraceRing(minimumCapacity: 2)
        #expect(!ring.dropIfFull(server: 1, worker: 2, cpu: 3))
        ring.push(TraceEvent(timestamp: 1, kind: .wake, server: 1, worker: 2, cpu: 3))
        ring.push(TraceEvent(timestamp: 2, kind: .wake, server: 1, worker: 2, cpu: 3))
        #expect(!ring.dropIfFull(server: 1, worker: 2, cpu: 3))
        #expect(ring.dropped == 0)
        #expect(!ring.push(TraceEvent(timestamp: 3, kind: .wake, server: 1, worker: 2, cpu: 3)))
        #expect(ring.dropIfFull(server: 1, worker: 2, cpu: 3))
        #expect(ring.dropIfFull(server: 1, worker: 2, cpu: 4))
        #expect(ring.dropped == 3)
        var seen: [TraceEvent] = []
        ring.drain(limit: 1) { seen.append($0) }
        // One slot free: a push needs two (the marker and the event), so it still drops.
        #expect(ring.dropIfFull(server: 1, worker: 2, cpu: 4))
        ring.drain { seen.append($0) }
        #expect(!ring.dropIfFull(server: 1, worker: 2, cpu: 3))
        #expect(ring.push(TraceEvent(timestamp: 9, kind: .wake, server: 1, worker: 2, cpu: 3)))
        ring.drain { seen.append($0) }
        #expect(
            seen == [
                TraceEvent(timestamp: 1, kind: .wake, server: 1, worker: 2, cpu: 3),
                TraceEvent(timestamp: 2, kind: .wake, server: 1, worker: 2, cpu: 3),
                TraceEvent(timestamp: 3, kind: .dropped, server: 1, worker: 2, cpu: TraceEvent.noCPU, arg: 4),
                TraceEvent(timestamp: 9, kind: .wake, server: 1, worker: 2, cpu: 3),
            ])
    }
}
