import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

@Suite struct EventFoldTests {
    static func event(
        _ t: UInt64, _ kind: TraceEventKind, server: UInt16 = 0, worker: UInt32 = 0, arg: UInt64 = 0
    ) -> TraceEvent {
        TraceEvent(timestamp: t, kind: kind, server: server, worker: worker, arg: arg)
    }

    @Test func denseFoldFollowsOneWorker() {
        var fold = EventFold(denseWorkers: 2, denseServers: 1)
        fold.ingest(Self.event(100, .register))
        fold.ingest(Self.event(200, .switchTo))
        #expect(fold.workers[0].state == .running)
        #expect(fold.servers[0].currentWorker == 0)
        #expect(fold.servers[0].state == .running)
        fold.ingest(Self.event(500, .block, arg: BlockReason.sleep.rawValue))
        #expect(fold.workers[0].state == .blocked)
        #expect(fold.workers[0].lastBlockReason == .sleep)
        #expect(fold.servers[0].currentWorker == TraceEvent.noWorker)
        fold.ingest(Self.event(900, .wake))
        fold.ingest(Self.event(1000, .switchTo))
        let totals = fold.workers[0].totals(at: 1000)
        #expect(totals.switches == 2 && totals.blocks == 1 && totals.wakes == 1)
        #expect(totals.runNanos == 300)
        #expect(totals.blockedNanos == 400)
        #expect(totals.runnableNanos == 100 + 100)
        #expect(fold.workers[0].runLength.count == 1)
        #expect(fold.workers[0].wakeToRun.count == 2)  // register → switch, wake → switch
        #expect(fold.workers[0].tally.switches == 2)
        #expect(fold.workers[0].tally.runNanos == 300)
        #expect(fold.workers[0].tally.wakeToRun == nil)  // dense folds keep no samples
        // An id outside the table changes nothing but counts.
        fold.ingest(Self.event(1100, .switchTo, worker: 7))
        #expect(fold.workers.count == 2)
        #expect(fold.eventsTotal == 6)
        #expect(fold.kindCounts[Int(TraceEventKind.switchTo.rawValue)] == 3)
        #expect(fold.servers[0].currentWorker == 0)
    }

    @Test func sparseFoldAddsRowsUpToItsLimit() {
        var fold = EventFold(declaredWorkers: [70_000], declaredServers: [3], maxRows: 3, keepsLatencySamples: true)
        fold.ingest(Self.event(10, .switchTo, server: 3, worker: 70_000, arg: 50))
        fold.ingest(Self.event(20, .handoff, server: 3, worker: 70_000, arg: 9))  // target: no row
        fold.ingest(Self.event(30, .wake, worker: 5))
        fold.ingest(Self.event(40, .wake, worker: 6))
        fold.ingest(Self.event(50, .wake, worker: 8))  // past maxRows
        #expect(fold.workers.map(\.id) == [70_000, 5, 6])
        #expect(fold.servers.map(\.id) == [3])
        let w = fold.workers[0]
        #expect(w.tally.switches == 1 && w.tally.handoffs == 1 && w.tally.runNanos == 10)
        #expect(w.tally.wakeToRun?.count == 1)
        #expect(fold.servers[0].tally.switches == 1)
        #expect(fold.workerSlot(8) == nil)
    }

    @Test func gapsMakeWorkersUnknownUntilASnapshot() {
        var fold = EventFold(denseWorkers: 2, denseServers: 2)
        fold.ingest(Self.event(100, .switchTo, server: 0, worker: 0))
        fold.ingest(Self.event(110, .switchTo, server: 1, worker: 1))
        fold.ingest(gap: TraceGap(timestamp: 120, count: 4, server: 0, worker: TraceEvent.noWorker, cpu: 0))
        #expect(fold.workers[0].state == .unknown)
        #expect(fold.workers[1].state == .running)
        #expect(fold.markerDropped == 4)
        #expect(fold.workers[0].tally.runStart == nil)
        fold.ingest(Self.event(130, .block, server: 0, worker: 0))
        #expect(fold.workers[0].state == .unknown)
        #expect(fold.workers[0].eventState == .blocked)
        #expect(fold.workers[0].tally.runNanos == 0)  // the run crossed the gap
        let snapshot = Snapshot(
            timestamp: 200, servers: [], workers: [WorkerCounters(id: 0, state: .runnable, server: 0)], baselines: [],
            droppedEvents: 4)
        fold.ingest(snapshot: snapshot)
        #expect(fold.workers[0].state == .runnable)
        #expect(fold.snapshotDropped == 4)
        #expect(fold.lastSnapshot == snapshot)
    }
}
