import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// The live and attach views fold the pump's tap in batches (`Aggregator.ingest(draining:limit:)`);
/// the model they publish must equal the one folding the same events one by one.
@Suite struct ModelBatchFoldTests {
    static func stream(seed: UInt64, count: Int, start: UInt64) -> [TraceEvent] {
        var rng = SplitMix64(seed: seed)
        var t = start
        let kinds: [TraceEventKind] = [
            .switchTo, .switchTo, .block, .wake, .wake, .wait, .preempt, .serverIdle, .serverWake, .timeout,
            .handoff, .register, .exit, .dropped,
        ]
        return (0..<count).map { _ in
            let kind = kinds[Int(rng.next(in: 0...UInt64(kinds.count - 1)))]
            t &+= rng.next(in: 0...3_000_000)
            let worker = rng.next(in: 0...40) == 0 ? TraceEvent.noWorker : UInt32(rng.next(in: 0...11))
            let server = UInt16(rng.next(in: 0...2))
            let arg = rng.next(in: 0...2) == 0 ? 0 : rng.next(in: 0...2_000_000)
            return TraceEvent(timestamp: t, kind: kind, server: server, worker: worker, cpu: 0, arg: arg)
        }
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func tapBatchesPublishTheSameModel(seed: UInt64) {
        let one = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions(refreshMillis: 250))
        let batched = Aggregator(
            info: ModelFixtures.info(), mode: .live, options: DashboardOptions(refreshMillis: 250))
        // A small tap, so batches wrap around its end.
        let tap = TraceRing(minimumCapacity: 64, label: "tap")
        var rng = SplitMix64(seed: seed &+ 1)
        var t = ModelFixtures.t0
        for round in 0..<40 {
            let events = Self.stream(seed: seed &* 1000 &+ UInt64(round), count: 50, start: t)
            t = events.last?.timestamp ?? t
            for e in events { one.ingest(e) }
            for e in events { #expect(tap.push(e)) }
            while tap.count > 0 {
                _ = batched.ingest(draining: tap, limit: Int(rng.next(in: 1...40)))
            }
            if round == 10 {
                // Workers spawned later get rows (and recent-events rings) on both.
                let added = [Entity(kind: .worker, id: 10, name: "late-10", tid: 0)]
                #expect(one.addWorkers(added))
                #expect(batched.addWorkers(added))
            }
            if round % 7 == 3 {
                let s = Snapshot(
                    timestamp: t, servers: [ServerCounters(id: 0, state: .running, currentWorker: 2)],
                    workers: [WorkerCounters(id: 2, state: .running, server: 0)])
                one.ingest(snapshot: s)
                batched.ingest(snapshot: s)
            }
            if round % 3 == 0 {
                one.tick(now: t)
                batched.tick(now: t)
                #expect(one.model == batched.model, "round \(round)")
            }
        }
        one.tick(now: t + ModelFixtures.second)
        batched.tick(now: t + ModelFixtures.second)
        #expect(one.model == batched.model)
        #expect(one.model.status.eventsTotal == 40 * 50)
        // The detail view's rows carry recent events (the batch path fills them at publish).
        #expect(batched.model.workers.contains { $0.recent.count == RecentEvents.capacity })
    }

    /// Big batches (whole 4,096-event chunks, many more events per worker than its recent-events
    /// ring holds, a few workers named once): the rings written from the chunk's end hold what
    /// appending every event would, so the published model is the same.
    @Test(arguments: [21, 22] as [UInt64])
    func bigBatchesKeepTheSameRecentEvents(seed: UInt64) {
        let one = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions(refreshMillis: 250))
        let batched = Aggregator(
            info: ModelFixtures.info(), mode: .live, options: DashboardOptions(refreshMillis: 250))
        let tap = TraceRing(minimumCapacity: 1 << 14, label: "tap")
        var t = ModelFixtures.t0
        for round in 0..<3 {
            var events = Self.stream(seed: seed &* 1000 &+ UInt64(round), count: 9_000, start: t)
            // Worker 11 appears only a few times, near the start: its ring is not filled by the chunk.
            for i in events.indices where events[i].worker == 11 { events[i].worker = 10 }
            for i in [5, 40, 300] { events[i].worker = 11 }
            t = events.last?.timestamp ?? t
            for e in events { one.ingest(e) }
            for e in events { #expect(tap.push(e)) }
            #expect(batched.ingest(draining: tap, limit: .max) == events.count)
            one.tick(now: t)
            batched.tick(now: t)
            #expect(one.model == batched.model, "round \(round)")
        }
        #expect(batched.model.workers.contains { $0.recent.count == RecentEvents.capacity })
    }

    /// A row's recent events are those a row appending every event would hold (`==` included),
    /// whether fewer than the ring's capacity came or many more.
    @Test func recentEventsFromTheFlatRingEqualAppendedOnes() {
        let agg = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        var expected = RecentEvents()
        var other = RecentEvents()
        for i in 0..<45 {
            let e = TraceEvent(
                timestamp: ModelFixtures.t0 + UInt64(i), kind: i % 2 == 0 ? .wake : .switchTo, server: 1, worker: 3,
                arg: UInt64(i))
            agg.ingest(e)
            expected.append(RecentEvent(timestamp: e.timestamp, kind: e.kind, server: e.server, arg: e.arg))
            if i < 5 { other.append(RecentEvent(timestamp: e.timestamp, kind: e.kind, server: e.server, arg: e.arg)) }
            if i == 4 {
                agg.tick(now: e.timestamp)
                #expect(agg.model.workers[3].recent == other)
            }
        }
        agg.tick(now: ModelFixtures.t0 + 100)
        #expect(agg.model.workers[3].recent == expected)
        #expect(agg.model.workers[3].recent.newestFirst.first?.arg == 44)
        #expect(agg.model.workers[2].recent == RecentEvents())
    }
}
