import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// `Aggregator.foldSink()`: another thread (an attach pump) folds events into the aggregator
/// while its own thread keeps ticking and reading; the fold is behind a lock from then on.
@Suite struct SharedFoldTests {
    /// Events handed to the sink from another thread, in small batches, while this thread ticks,
    /// reads metrics and folds snapshots, leave the fold exactly where folding them one by one on
    /// one thread does: every worker's state, counts, recent events and latency histograms.
    @Test func aSinkFoldedFromAnotherThreadEndsWhereAnInPlaceFoldDoes() throws {
        let events = (0..<4).flatMap {
            FoldMeasurement.shifted(FoldMeasurement.chunk(spread: true), by: UInt64($0) << 32)
        }
        let reference = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        for e in events { reference.ingest(e) }
        let shared = Aggregator(
            info: ModelFixtures.info(), mode: .attached(pid: 1, command: "t"), options: DashboardOptions())
        let sink = try #require(shared.foldSink())
        let done = Atomic<Bool>(false)
        let feeder = try #require(
            ThreadLauncher.spawn(name: "test-thread") {
                var start = 0
                var size = 1
                while start < events.count {
                    let end = min(events.count, start + size)
                    events[start..<end].withUnsafeBufferPointer { sink($0) }
                    start = end
                    size = size % 997 + 13  // batches of varying sizes, as a region's drains are
                }
                // Releasing: pairs with the loop's acquiring load; the events above are folded.
                done.store(true, ordering: .releasing)
            })
        var ticks: UInt64 = 0
        // Acquiring: pairs with the feeder's releasing store.
        while !done.load(ordering: .acquiring) {
            ticks += 1
            shared.tick(now: ModelFixtures.t0 + ticks * 1_000)
            _ = shared.metricsSnapshot(topWorkers: 3)
            _ = shared.latestTraceTime
        }
        ThreadLauncher.join(feeder)
        #expect(ticks > 0)
        let now = (events.last?.timestamp ?? 0) + 1
        reference.tick(now: now)
        shared.tick(now: now)
        let (a, b) = (reference.fold, shared.fold)
        #expect(b.eventsTotal == a.eventsTotal && a.eventsTotal == UInt64(events.count))
        #expect(b.latestTimestamp == a.latestTimestamp)
        #expect(b.events.workers.count == a.events.workers.count)
        for w in a.events.workers.indices {
            let (x, y) = (a.events.workers[w], b.events.workers[w])
            #expect(y.state == x.state && y.server == x.server, "worker \(w)")
            #expect(y.totals(at: now) == x.totals(at: now), "worker \(w)")
            #expect(y.wakeToRun == x.wakeToRun && y.runLength == x.runLength, "worker \(w)")
            #expect(y.wakeToRun.count > 0, "worker \(w): the stream has latencies")
            #expect(b.workerRows[w].recent == a.workerRows[w].recent, "worker \(w)")
        }
        #expect(b.events.allWakeToRun == a.events.allWakeToRun && b.events.allRunLength == a.events.allRunLength)
        for s in a.events.servers.indices {
            #expect(b.events.servers[s].switches == a.events.servers[s].switches, "server \(s)")
            #expect(b.serverRows[s].lastWorker == a.serverRows[s].lastWorker, "server \(s)")
        }
        #expect(shared.model.status.eventsTotal == UInt64(events.count))
    }

    /// A replay aggregator samples as it folds, event by event: it has no sink to give.
    @Test func aReplayAggregatorHasNoSink() {
        let replay = Aggregator(info: ModelFixtures.info(), mode: .replay(name: "t"), options: DashboardOptions())
        #expect(replay.foldSink() == nil)
        let live = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        #expect(live.foldSink() != nil)
    }
}
