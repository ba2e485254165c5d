import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

/// `EventFold.ingest(_:workerSlots:)` (the batch loop) against `ingest(_:)` event by event: the
/// same random streams, cut into random batches, must leave every field of the fold identical.
@Suite struct EventFoldBatchTests {
    /// A stream that is mostly the hot kinds, with every other kind, ids with and without rows,
    /// `noWorker` / `noServer`, zero and large args, and timestamps that sometimes go backwards.
    static func stream(seed: UInt64, count: Int, workerIds: UInt64, servers: UInt64) -> [TraceEvent] {
        var rng = SplitMix64(seed: seed)
        var t: UInt64 = 1_000_000
        let hot: [TraceEventKind] = [.switchTo, .block, .wake, .wait, .preempt, .serverIdle, .serverWake]
        let cold: [TraceEventKind] = [
            .register, .exit, .timeout, .handoff, .dropped, .keyframe, .baselineSample,
        ]
        var out: [TraceEvent] = []
        for _ in 0..<count {
            let roll = rng.next(in: 0...99)
            let kind = roll < 90 ? hot[Int(rng.next(in: 0...6))] : cold[Int(rng.next(in: 0...6))]
            t = rng.next(in: 0...19) == 0 ? t &- rng.next(in: 0...500) : t &+ rng.next(in: 0...400)
            let worker: UInt32 =
                switch rng.next(in: 0...19) {
                case 0: TraceEvent.noWorker
                case 1: UInt32(rng.next(in: 0...2_000_000))
                default: UInt32(rng.next(in: 0...workerIds))
                }
            let server: UInt16 = rng.next(in: 0...9) == 0 ? TraceEvent.noServer : UInt16(rng.next(in: 0...servers))
            let arg: UInt64 =
                switch rng.next(in: 0...5) {
                case 0, 1: 0
                case 2: rng.next(in: 0...workerIds)
                case 3: rng.next(in: 0...(1 << 40))
                default: rng.next(in: 0...5000)
                }
            out.append(TraceEvent(timestamp: t, kind: kind, server: server, worker: worker, cpu: 0, arg: arg))
        }
        return out
    }

    /// Every field of the fold, internal ones included (a struct's default description lists them all).
    static func fields(_ f: EventFold) -> [String] {
        [
            String(describing: f.workers), String(describing: f.servers), String(describing: f.kindCounts),
            "\(f.eventsTotal) \(f.latestTimestamp) \(f.markerDropped) \(f.snapshotDropped)",
            "\(f.baselineSampleCycles) \(f.baselineSampleActiveNanos) \(f.hasBaselineSamples)",
            String(describing: f.allWakeToRun), String(describing: f.allRunLength),
            "\(f.allWakeToRun.max) \(f.allRunLength.max) \(f.allWakeToRun.percentile(0.99) ?? 0)",
        ]
    }

    /// A snapshot of the fold's workers and servers at `ts`, with some states and counters changed.
    static func snapshot(of f: EventFold, at ts: UInt64, seed: UInt64) -> Snapshot {
        var rng = SplitMix64(seed: seed)
        let workers = f.workers.map { w in
            var c = WorkerCounters(
                id: w.id, state: WorkerState.allCases[Int(rng.next(in: 0...UInt64(WorkerState.allCases.count - 1)))],
                server: w.server)
            c.switches = rng.next(in: 0...1000)
            c.runNanos = rng.next(in: 0...1_000_000)
            return c
        }
        let servers = f.servers.map { s in
            var c = ServerCounters(id: s.id, state: rng.next(in: 0...1) == 0 ? .idle : .running)
            c.switches = rng.next(in: 0...1000)
            return c
        }
        return Snapshot(timestamp: ts, servers: servers, workers: workers)
    }

    /// Folds `events` both ways, in random batches, with a snapshot between some batches.
    static func compare(
        _ make: () -> EventFold, _ events: [TraceEvent], seed: UInt64, batchSizes: ClosedRange<UInt64> = 1...300,
        merging: Bool = true
    ) {
        var one = make()
        var batched = make()
        var rng = SplitMix64(seed: seed)
        var slots = [Int32](repeating: 99, count: events.count)
        var expected: [Int32] = []
        var start = 0
        while start < events.count {
            let end = min(events.count, start + Int(rng.next(in: batchSizes)))
            for e in events[start..<end] { expected.append(one.ingest(e).map { Int32($0) } ?? -1) }
            events.withUnsafeBufferPointer { all in
                slots.withUnsafeMutableBufferPointer { out in
                    guard let base = out.baseAddress else { return }
                    batched.ingest(
                        UnsafeBufferPointer(rebasing: all[start..<end]), workerSlots: base + start,
                        mergingLatencies: merging)
                }
            }
            if rng.next(in: 0...9) == 0 {
                let s = snapshot(of: one, at: events[end - 1].timestamp, seed: rng.next())
                one.ingest(snapshot: s)
                batched.ingest(snapshot: s)
            }
            start = end
        }
        batched.mergePendingLatencies()
        #expect(Array(slots) == expected)
        let a = fields(one)
        let b = fields(batched)
        for i in a.indices { #expect(a[i] == b[i], "field group \(i) differs") }
        #expect(one.eventsTotal == UInt64(events.count))
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func denseBatchesFoldLikeSingleEvents(seed: UInt64) {
        let events = Self.stream(seed: seed, count: 20_000, workerIds: 12, servers: 3)
        Self.compare({ EventFold(workerIds: [0, 1, 2, 5, 9, 3], denseServers: 3) }, events, seed: seed &+ 100)
    }

    @Test func denseBatchesFoldLikeSingleEventsWithoutRows() {
        let events = Self.stream(seed: 9, count: 5_000, workerIds: 4, servers: 2)
        Self.compare({ EventFold(workerIds: [], denseServers: 0) }, events, seed: 19)
    }

    @Test func sparseBatchesFoldLikeSingleEvents() {
        let events = Self.stream(seed: 7, count: 20_000, workerIds: 40, servers: 6)
        Self.compare(
            { EventFold(declaredWorkers: [3, 1], declaredServers: [2], maxRows: 16, keepsLatencySamples: true) },
            events, seed: 17)
    }

    /// A dense fold without worker tallies (the dashboard's) leaves every tally empty and every
    /// other field where a fold with them does, by the batch loop and event by event alike.
    @Test func aFoldWithoutWorkerTalliesDiffersOnlyInThem() {
        let events = Self.stream(seed: 11, count: 20_000, workerIds: 12, servers: 3)
        let ids: [UInt32] = [0, 1, 2, 5, 9, 3]
        var with = EventFold(workerIds: ids, denseServers: 3)
        var without = EventFold(workerIds: ids, denseServers: 3, keepsWorkerTallies: false)
        var oneByOne = EventFold(workerIds: ids, denseServers: 3, keepsWorkerTallies: false)
        var slots = [Int32](repeating: -1, count: events.count)
        events.withUnsafeBufferPointer { batch in
            slots.withUnsafeMutableBufferPointer { s in
                guard let slot = s.baseAddress else { return }
                with.ingest(batch, workerSlots: slot, mergingLatencies: true)
                without.ingest(batch, workerSlots: slot, mergingLatencies: true)
            }
        }
        for e in events { oneByOne.ingest(e) }
        #expect(with.workers.contains { $0.tally.switches > 0 && $0.tally.runNanos > 0 })
        let empty = WorkerTally(keepsLatencySamples: false)
        #expect(without.workers.allSatisfy { $0.tally == empty })
        #expect(oneByOne.workers.allSatisfy { $0.tally == empty })
        for w in with.workers.indices { with.workers[w].tally = empty }
        let (a, b, c) = (Self.fields(with), Self.fields(without), Self.fields(oneByOne))
        for i in a.indices {
            #expect(a[i] == b[i], "field group \(i) differs (batch)")
            #expect(a[i] == c[i], "field group \(i) differs (one by one)")
        }
    }

    /// The hot kinds really are folded (not all passed to `ingest(_:)`): a stream of only those
    /// records switches, run lengths and server state like the event-by-event fold.
    @Test func hotOnlyStreamFoldsAllItsEvents() {
        var fold = EventFold(denseWorkers: 2, denseServers: 1)
        let events: [TraceEvent] = [
            TraceEvent(timestamp: 100, kind: .wake, server: 0, worker: 0),
            TraceEvent(timestamp: 200, kind: .switchTo, server: 0, worker: 0, arg: 0),
            TraceEvent(timestamp: 700, kind: .wait, server: 0, worker: 0, arg: 0),
            TraceEvent(timestamp: 800, kind: .serverIdle, server: 0),
            TraceEvent(timestamp: 900, kind: .serverWake, server: 0, arg: 100),
        ]
        var slots = [Int32](repeating: 7, count: events.count)
        events.withUnsafeBufferPointer { e in
            slots.withUnsafeMutableBufferPointer { out in
                if let base = out.baseAddress { fold.ingest(e, workerSlots: base) }
            }
        }
        #expect(slots == [0, 0, 0, -1, -1])
        #expect(fold.eventsTotal == 5)
        #expect(fold.workers[0].wakeToRun.count == 1 && fold.workers[0].wakeToRun.max == 100)
        #expect(fold.workers[0].runLength.count == 1 && fold.workers[0].runLength.max == 500)
        #expect(fold.workers[0].state == .waiting)
        #expect(fold.servers[0].state == .running && fold.servers[0].tally.idles == 1)
        #expect(fold.servers[0].tally.idleNanos == 100 && fold.servers[0].switches == 1)
        #expect(fold.latestTimestamp == 900)
    }
}
