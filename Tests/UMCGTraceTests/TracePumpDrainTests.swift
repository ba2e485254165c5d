import Synchronization
import Testing
import UMCGSystem

@testable import UMCGTrace

/// A `TracePump` fed by a drain function (another process's region, `umcgtop --attach --record`)
/// instead of a hub: the same file, tap and drop accounting.
@Suite struct TracePumpDrainTests {
    /// Events a test pushes into one ring; the pump drains them through a closure.
    final class Feed: Sendable {
        let ring = TraceRing(minimumCapacity: 4096, label: "feed")
        func drain(limit: Int, _ body: (TraceEvent) -> Void) -> Int { ring.drain(limit: limit, body) }
    }

    @Test func aDrainInputIsRecordedTeedAndItsMarkersCountAsDrops() throws {
        let feed = Feed()
        for i in 0..<1_000 as Range<UInt64> {
            feed.ring.push(TraceEvent(timestamp: 1_000 + i, kind: .wake, server: 0, worker: 1, cpu: 0, arg: i))
        }
        // A gap the source reports as a marker (what a region's drain makes of a torn or dropped stretch).
        feed.ring.push(TraceEvent(timestamp: 5_000, kind: .dropped, arg: 42))
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 4096)
        let pump = TracePump(
            drain: { limit, body in feed.drain(limit: limit, body) }, writer: writer,
            snapshot: { Fixture.snapshot(at: 6_000) }, tapCapacity: 1 << 12)
        #expect(pump.stop() == nil)
        #expect(pump.droppedEvents == 42)
        var teed: [TraceEvent] = []
        _ = pump.tap.drain(limit: .max) { teed.append($0) }
        #expect(teed.count == 1_001)
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.summary.cleanEnd)
        #expect(reader.summary.events == 1_000)
        #expect(reader.summary.dropped == 42)
        #expect(reader.summary.keyframes >= 1)
    }

    /// A batch source (`init(drainBatches:)`, what `umcgtop --attach` uses) is recorded, teed and
    /// counted as a per-event one is.
    @Test func aBatchInputIsRecordedTeedAndItsMarkersCountAsDrops() throws {
        let feed = Feed()
        for i in 0..<3_000 as Range<UInt64> {
            feed.ring.push(TraceEvent(timestamp: 1_000 + i, kind: .wake, server: 0, worker: 1, cpu: 0, arg: i))
        }
        feed.ring.push(TraceEvent(timestamp: 5_000, kind: .dropped, arg: 42))
        feed.ring.push(TraceEvent(timestamp: 5_001, kind: .dropped, arg: 8))
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 4096)
        let pump = TracePump(
            drainBatches: { limit, body in feed.ring.drainBatches(limit: min(limit, 700), body) }, writer: writer,
            snapshot: { Fixture.snapshot(at: 6_000) }, tapCapacity: 1 << 12)
        #expect(pump.stop() == nil)
        #expect(pump.droppedEvents == 50)
        var teed: [TraceEvent] = []
        _ = pump.tap.drain(limit: .max) { teed.append($0) }
        #expect(teed.count == 3_002)
        #expect(teed.prefix(3_000).map(\.arg) == Array(0..<3_000))
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.summary.cleanEnd)
        #expect(reader.summary.events == 3_000)
        #expect(reader.summary.dropped == 50)
    }

    /// `consume(with:)`: what waits in the tap goes to the sink first, then every pass and the
    /// last one (`stop()`) hand their events to the sink, in order, and the tap stays empty.
    @Test func aSinkTakesTheTapsBacklogThenEveryPass() {
        let hub = TraceHub(ringCapacity: 1024)
        let ring = hub.makeRing(label: "r")
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: nil, snapshot: { Fixture.snapshot(at: 0) }, tapCapacity: 1 << 12,
            keyframeInterval: .seconds(1), startThread: false)
        func push(_ range: Range<UInt64>) {
            for i in range {
                ring.push(TraceEvent(timestamp: 1_000 + i, kind: .wake, server: 0, worker: 1, cpu: 0, arg: i))
            }
        }
        push(0..<100)
        #expect(pump.pass(now: 1) == 100)
        #expect(pump.tap.count == 100)
        let got = ThreadLock<[UInt64]>([])
        let batches = ThreadLock(0)
        pump.consume { batch in
            got.withLock { $0 += batch.map(\.arg) }
            batches.withLock { $0 += 1 }
        }
        #expect(got.withLock { $0 } == Array(0..<100))
        #expect(pump.tap.count == 0)
        push(100..<300)
        #expect(pump.pass(now: 2) == 200)
        push(300..<350)
        #expect(pump.stop() == nil)
        #expect(got.withLock { $0 } == Array(0..<350))
        #expect(pump.tap.count == 0 && pump.tap.dropped == 0)
        #expect(batches.withLock { $0 } >= 3)
    }

    /// The pump's nap follows the rate: none after a pass that found half a ring's limit, the
    /// interval's double when quiet, and in between the time half a limit takes to arrive.
    @Test func napFollowsTheRate() {
        let ms: UInt64 = 1_000_000
        func nap(_ drained: Int, _ elapsed: UInt64) -> UInt64 {
            TracePump.nap(drained: drained, since: elapsed, passInterval: 2 * ms, perRingLimit: 8192)
        }
        #expect(nap(4096, 2 * ms) == 0)
        #expect(nap(9000, 2 * ms) == 0)
        #expect(nap(0, 2 * ms) == 4 * ms)
        // 1 M events/s: 2,000 events in 2 ms; 4,096 arrive in about 4.1 ms, capped at twice the interval.
        #expect(nap(2000, 2 * ms) == 4 * ms)
        // 1.5 M events/s: 3,000 in 2 ms; 4,096 arrive in about 2.73 ms.
        #expect(nap(3000, 2 * ms) == 4096 * 2 * ms / 3000)
        // 3 M events/s: never below the interval.
        #expect(nap(3000, 1 * ms) == 2 * ms)
        #expect(nap(1, .max) == 4 * ms)
    }
}
