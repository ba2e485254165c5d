import Foundation
import Testing
import UMCGAnalysis
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct ModelAggregatorTests {
    let t0 = ModelFixtures.t0
    let ms: UInt64 = 1_000_000

    func make(mode: DashboardMode = .live) -> Aggregator {
        Aggregator(info: ModelFixtures.info(), mode: mode, options: DashboardOptions(refreshMillis: 250))
    }

    func ev(
        _ dt: UInt64, _ kind: TraceEventKind, w: UInt32 = TraceEvent.noWorker, s: UInt16 = TraceEvent.noServer,
        arg: UInt64 = 0
    )
        -> TraceEvent
    {
        TraceEvent(timestamp: t0 + dt, kind: kind, server: s, worker: w, arg: arg)
    }

    @Test func eventsDriveWorkerAndServerStates() {
        let agg = make()
        agg.ingest(ev(1, .register, w: 3))
        agg.tick(now: t0 + 2)
        #expect(agg.model.workers[3].state == .idle)
        agg.ingest(ev(10, .wake, w: 3))
        agg.ingest(ev(20, .switchTo, w: 3, s: 1, arg: 10))
        agg.tick(now: t0 + 21)
        #expect(agg.model.workers[3].state == .running)
        #expect(agg.model.workers[3].server == 1)
        #expect(agg.model.servers[1].currentWorker == 3)
        #expect(agg.model.servers[1].state == .running)
        agg.ingest(ev(30, .block, w: 3, s: 1, arg: BlockReason.read.rawValue))
        agg.tick(now: t0 + 31)
        #expect(agg.model.workers[3].state == .blocked)
        #expect(agg.model.workers[3].lastBlockReason == .read)
        #expect(agg.model.servers[1].currentWorker == TraceEvent.noWorker)
        agg.ingest(ev(40, .serverIdle, s: 1))
        agg.ingest(ev(50, .exit, w: 3))
        agg.tick(now: t0 + 51)
        #expect(agg.model.servers[1].state == .idle)
        #expect(agg.model.workers[3].state == .exited)
        #expect(agg.model.workers[3].recent.newestFirst.map(\.kind) == [.exit, .block, .switchTo, .wake, .register])
    }

    @Test func exitedStaysExitedUntilItRegistersAgain() {
        let agg = make()
        agg.ingest(ev(1, .switchTo, w: 2, s: 0))
        agg.ingest(ev(2, .exit, w: 2, s: 0))
        agg.ingest(ev(3, .wait, w: 2, s: 0))  // a late event the engine still counts
        agg.tick(now: t0 + 4)
        #expect(agg.model.workers[2].state == .exited)
        #expect(agg.model.workers[2].totals.waits == 1)
        agg.ingest(ev(5, .register, w: 2, s: 0))
        agg.tick(now: t0 + 6)
        #expect(agg.model.workers[2].state == .idle)
    }

    @Test func olderEventDoesNotOverrideNewerState() {
        let agg = make()
        agg.ingest(ev(100, .switchTo, w: 0, s: 0))
        agg.ingest(ev(50, .block, w: 0, s: 0))  // from another ring, drained late
        agg.tick(now: t0 + 200)
        #expect(agg.model.workers[0].state == .running)
        #expect(agg.model.workers[0].totals.blocks == 1)
    }

    @Test func switchRateIsPerSecondOverTheLastSecond() {
        let agg = make()
        // 5 switches per 100 ms for 1 s, then 2 per 100 ms for 1.5 s.
        for step in 0..<25 {
            let perStep = step < 10 ? 5 : 2
            for k in 0..<perStep {
                agg.ingest(ev(UInt64(step) * 100 * ms + UInt64(k) * ms, .switchTo, w: 1, s: 0))
            }
            agg.tick(now: t0 + UInt64(step + 1) * 100 * ms)
        }
        #expect(agg.model.workers[1].switchesPerSecond == 20)
        #expect(agg.model.workers[1].totals.switches == 80)
        #expect(agg.model.servers[0].switchesPerSecond == 20)
        #expect(agg.model.status.eventsTotal == 80)
        #expect(agg.model.status.eventsPerSecond == 20)
    }

    @Test func snapshotCountersWinOverEvents() {
        let agg = make()
        for i in 0..<3 { agg.ingest(ev(UInt64(i) * ms, .switchTo, w: 2, s: 0)) }
        var c = WorkerCounters(id: 2, state: .blocked, server: 1)
        c.switches = 100
        c.blocks = 7
        agg.ingest(snapshot: Snapshot(timestamp: t0 + 10 * ms, servers: [], workers: [c]))
        agg.tick(now: t0 + 11 * ms)
        #expect(agg.model.workers[2].totals.switches == 100)
        #expect(agg.model.workers[2].totals.blocks == 7)
        #expect(agg.model.workers[2].state == .blocked)
        #expect(agg.model.workers[2].server == 1)
        // Events stamped before the snapshot are already in it; later ones add.
        agg.ingest(ev(5 * ms, .switchTo, w: 2, s: 0))
        agg.ingest(ev(12 * ms, .wake, w: 2, s: 0))
        agg.ingest(ev(13 * ms, .switchTo, w: 2, s: 0))
        agg.ingest(ev(14 * ms, .switchTo, w: 2, s: 0))
        agg.tick(now: t0 + 15 * ms)
        #expect(agg.model.workers[2].totals.switches == 102)
        #expect(agg.model.workers[2].totals.wakes == 1)
        // An older snapshot arriving late changes nothing.
        c.switches = 50
        agg.ingest(snapshot: Snapshot(timestamp: t0 + 9 * ms, servers: [], workers: [c]))
        agg.tick(now: t0 + 16 * ms)
        #expect(agg.model.workers[2].totals.switches == 102)
    }

    @Test func gapMakesWorkersUnknownUntilTheNextSnapshot() {
        let agg = make()
        agg.ingest(ev(1, .switchTo, w: 0, s: 0))
        agg.ingest(ev(2, .switchTo, w: 1, s: 1))
        agg.ingest(ev(3, .dropped, w: 7, s: 0, arg: 40))  // a gap on server 0's ring, before an event of worker 7
        agg.ingest(ev(4, .dropped, w: 5, arg: 2))  // a gap naming only worker 5
        agg.ingest(ev(5, .block, w: 0, s: 0))  // still unknown: the gap may hide more
        agg.tick(now: t0 + 10)
        #expect(agg.model.workers[0].state == .unknown)
        #expect(agg.model.workers[1].state == .running)
        #expect(agg.model.workers[5].state == .unknown)
        #expect(agg.model.workers[7].state == .unknown)
        #expect(agg.model.workers[2].state == .unregistered)
        #expect(agg.model.status.droppedTotal == 42)
        #expect(agg.model.workers[0].totals.blocks == 1)
        let snap = Snapshot(
            timestamp: t0 + 20, servers: [],
            workers: [
                WorkerCounters(id: 0, state: .waiting, server: 0), WorkerCounters(id: 5, state: .runnable),
                WorkerCounters(id: 7, state: .blocked),
            ],
            droppedEvents: 50)
        agg.ingest(snapshot: snap)
        agg.tick(now: t0 + 30)
        #expect(agg.model.workers[0].state == .waiting)
        #expect(agg.model.workers[5].state == .runnable)
        #expect(agg.model.workers[7].state == .blocked)
        #expect(agg.model.status.droppedTotal == 50)
    }

    @Test func idsOutsideTheEntityTableAreIgnored() {
        let agg = make()
        let before = agg.model
        agg.ingest(ev(1, .switchTo, w: 999, s: 999))
        agg.ingest(ev(2, .switchTo, w: 8, s: 2))
        agg.ingest(ev(3, .handoff, w: 0, s: 0, arg: .max))
        agg.ingest(ev(4, .serverIdle, s: 77))
        agg.ingest(ev(5, .baselineSample, w: 200, arg: 5))
        agg.ingest(ev(6, .baselineSample, w: .max, arg: 5))
        agg.ingest(
            snapshot: Snapshot(
                timestamp: t0 + 7, servers: [ServerCounters(id: 40, state: .running)],
                workers: [WorkerCounters(id: 4000, state: .running)]))
        agg.tick(now: t0 + 10)
        #expect(agg.model.workers.count == before.workers.count)
        #expect(agg.model.workers.filter { $0.totals.switches > 0 }.isEmpty)
        #expect(agg.model.status.eventsTotal == 6)
        #expect(agg.model.workers[0].state == .waiting)
    }

    @Test func histogramsFromSwitchAndWaitArguments() {
        let agg = make()
        for i in 0..<99 {
            agg.ingest(ev(UInt64(i) * 10 * ms, .switchTo, w: 4, s: 0, arg: 3_000))
            agg.ingest(ev(UInt64(i) * 10 * ms + ms, .wait, w: 4, s: 0, arg: 500_000))
        }
        agg.ingest(ev(2_000 * ms, .switchTo, w: 4, s: 0, arg: 5_000_000))
        agg.tick(now: t0 + 2_001 * ms)
        let row = agg.model.workers[4]
        #expect(row.wakeToRun.count == 100)
        // Within 1% of the exact values (the log2 buckets said 4_095, 4_095, 8_388_607, 524_287).
        #expect(ModelHistogramTests.near(row.wakeToRun.percentile(0.5), 3_000))
        #expect(ModelHistogramTests.near(row.wakeToRun.percentile(0.99), 3_000))
        #expect(row.wakeToRun.percentile(1.0) == 5_000_000)
        #expect(row.wakeToRunP50 == row.wakeToRun.percentile(0.5))
        #expect(row.runLength.count == 99)
        #expect(ModelHistogramTests.near(row.runLength.percentile(0.5), 500_000))
        #expect(row.recent.count == RecentEvents.capacity)
    }

    @Test func baselineRatesFromCountersSamplesAndEngineFallback() {
        let agg = make()
        func snap(_ dt: UInt64, futex: UInt64, condvar: UInt64, active: UInt64) -> Snapshot {
            Snapshot(
                timestamp: t0 + dt, servers: [], workers: [],
                baselines: [
                    BaselineCounters(method: .futex, cycles: futex, activeNanos: active, placement: "same-cpu"),
                    BaselineCounters(method: .condvar, cycles: condvar, activeNanos: active, placement: "cross-cpu"),
                ])
        }
        // Baselines run one third of the time (time-sliced): active ns, not wall ns, is the divisor.
        for i in 0...6 {
            let i64 = UInt64(i)
            agg.ingest(
                snapshot: snap(i64 * 300 * ms, futex: i64 * 40_000, condvar: i64 * 20_000, active: i64 * 100 * ms))
            agg.ingest(ev(i64 * 300 * ms + 1, .switchTo, w: 0, s: 0))
            agg.ingest(ev(i64 * 300 * ms + 2, .switchTo, w: 0, s: 0))
            agg.ingest(ev(i64 * 300 * ms + 3, .switchTo, w: 1, s: 1))
            agg.ingest(ev(i64 * 300 * ms + 4, .switchTo, w: 1, s: 1))
            agg.tick(now: t0 + i64 * 300 * ms + 5)
        }
        let r = agg.model.rates
        #expect(r.futex.source == .counters && r.futex.cyclesPerSecond == 400_000)
        #expect(r.condvar.cyclesPerSecond == 200_000 && r.condvar.placement == "cross-cpu")
        #expect(r.futex.nanosPerSwitch == 1_250)
        // UMCG from the engine: 4 switches per 300 ms = 2 cycles per 300 ms.
        #expect(r.umcg.source == .engineSwitches)
        let umcg = r.umcg.cyclesPerSecond ?? 0
        #expect(abs(umcg - 2.0 / 0.3) < 0.01)
        #expect(r.futex.history.count >= 5)

        // A umcg baseline, once present, replaces the engine fallback.
        for i in 0..<6 {
            agg.ingest(
                ev(
                    2_000 * ms + UInt64(i) * 250 * ms, .baselineSample, w: UInt32(BaselineMethod.umcg.rawValue),
                    arg: 200_000))
            agg.tick(now: t0 + 2_000 * ms + UInt64(i) * 250 * ms + 1)
        }
        #expect(agg.model.rates.umcg.source == .samples)
        // The engine-derived line is not continued by baseline numbers: the history restarted.
        #expect(agg.model.rates.umcg.history.values.allSatisfy { $0 == 0 || $0 >= 100_000 })
        #expect(agg.model.rates.umcg.cyclesPerSecond == 800_000)
        #expect(agg.model.rates.umcgRatio(to: .futex) == 2)
    }

    @Test func pausedLiveViewFreezesButKeepsFolding() {
        let agg = make()
        agg.ingest(ev(ms, .switchTo, w: 1, s: 0))
        agg.tick(now: t0 + 2 * ms)
        #expect(agg.apply(.togglePause) == .togglePause)
        for i in 0..<10 { agg.ingest(ev(UInt64(10 + i) * ms, .switchTo, w: 1, s: 0)) }
        agg.ingest(ev(30 * ms, .block, w: 1, s: 0))
        agg.tick(now: t0 + 40 * ms)
        #expect(agg.model.workers[1].totals.switches == 1)
        #expect(agg.model.workers[1].state == .running)
        #expect(agg.model.status.eventsTotal == 1)
        #expect(agg.apply(.togglePause) == .togglePause)
        agg.tick(now: t0 + 50 * ms)
        #expect(agg.model.workers[1].totals.switches == 11)
        #expect(agg.model.workers[1].state == .blocked)
        #expect(agg.model.status.eventsTotal == 12)
    }

    @Test func timeSplitAndUtilisation() {
        let agg = make()
        // Each 100 ms: runnable 20 ms, running 50 ms, blocked 30 ms; server busy while the worker runs.
        for i in 0..<20 {
            let b = UInt64(i) * 100 * ms
            agg.ingest(ev(b, .wake, w: 6, s: 0))
            agg.ingest(ev(b + 20 * ms, .switchTo, w: 6, s: 0))
            agg.ingest(ev(b + 70 * ms, .block, w: 6, s: 0))
            agg.ingest(ev(b + 70 * ms, .serverIdle, s: 0))
            agg.tick(now: t0 + b + 100 * ms)
        }
        let row = agg.model.workers[6]
        #expect(abs(row.split.run - 0.5) < 0.01)
        #expect(abs(row.split.runnable - 0.2) < 0.01)
        #expect(abs(row.split.blocked - 0.3) < 0.01)
        #expect(abs(agg.model.servers[0].utilisation - 0.5) < 0.01)
        #expect(ModelHistogramTests.near(row.runLength.percentile(0.5), 50 * ms))
        #expect(ModelHistogramTests.near(row.wakeToRun.percentile(0.5), 20 * ms))
    }

    @Test func handoffRunsTheTargetWithoutCountingASwitch() {
        let agg = make()
        agg.ingest(ev(1, .switchTo, w: 2, s: 1))
        agg.ingest(ev(5, .wait, w: 2, s: 1, arg: 4))
        agg.ingest(ev(5, .handoff, w: 2, s: 1, arg: 6))
        agg.tick(now: t0 + 10)
        #expect(agg.model.workers[2].state == .waiting)
        #expect(agg.model.workers[6].state == .running && agg.model.workers[6].server == 1)
        #expect(agg.model.servers[1].currentWorker == 6)
        #expect(agg.model.workers[6].totals.switches == 0 && agg.model.servers[1].switches == 1)
        #expect(agg.model.workers[2].totals.waits == 1)
    }

    @Test func resetKeepsUIStateAndAppFields() {
        let agg = make(mode: .replay(name: "x.umcgtrace"))
        agg.ingest(ev(1, .switchTo, w: 3, s: 0))
        agg.tick(now: t0 + 2)
        _ = agg.apply(.sortInvert)
        agg.model.status.warning = "truncated"
        agg.reset()
        #expect(agg.model.ui.sortDescending == false)
        #expect(agg.model.status.warning == "truncated")
        #expect(agg.model.workers[3].totals.switches == 0)
        agg.tick(now: t0 + 3)
        #expect(agg.model.workers[3].state == .unregistered)
    }
}

@Suite struct ModelAggregatorOrderingTests {
    @Test func snapshotOlderThanTheLatestEventKeepsTheEventState() {
        let t0 = ModelFixtures.t0
        let agg = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        agg.ingest(TraceEvent(timestamp: t0 + 50, kind: .switchTo, server: 0, worker: 1))
        var c = WorkerCounters(id: 1, state: .runnable, server: 0)
        c.switches = 9
        agg.ingest(snapshot: Snapshot(timestamp: t0 + 40, servers: [], workers: [c]))
        agg.tick(now: t0 + 60)
        #expect(agg.model.workers[1].state == .running)
        #expect(agg.model.workers[1].totals.switches == 9)
    }
}

/// Prints (never asserts) how fast the fold and the views are on this machine.
@Suite struct ModelThroughputTests {
    @Test func printFoldAndRenderCost() {
        let info = ModelFixtures.info(servers: 2, workers: 64)
        let agg = Aggregator(info: info, mode: .live, options: DashboardOptions())
        let kinds: [TraceEventKind] = [.wake, .switchTo, .wait, .switchTo, .block, .preempt]
        var events: [TraceEvent] = []
        events.reserveCapacity(1 << 20)
        for i in 0..<(1 << 20) {
            events.append(
                TraceEvent(
                    timestamp: ModelFixtures.t0 + UInt64(i) * 100, kind: kinds[i % kinds.count], server: UInt16(i % 2),
                    worker: UInt32((i / 6) % 64), arg: UInt64(i % 5_000)))
        }
        let clock = ContinuousClock()
        let fold = clock.measure {
            for (i, e) in events.enumerated() {
                agg.ingest(e)
                if i % 50_000 == 0 { agg.tick(now: e.timestamp) }
            }
        }
        let nsPerEvent =
            Double(fold.components.attoseconds) / 1e9 / Double(events.count) + Double(fold.components.seconds) * 1e9
            / Double(events.count)
        var m = agg.model
        _ = m.apply(.resize(width: 120, height: 40))
        var frames = 0
        let render = clock.measure {
            for _ in 0..<50 {
                frames += DashboardView.render(m, width: 120, height: 40).width > 0 ? 1 : 0
            }
        }
        let msPerFrame = (Double(render.components.seconds) * 1e3 + Double(render.components.attoseconds) / 1e15) / 50
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        print(
            "umcgtop model: fold \(Format.fixed(nsPerEvent, 1)) ns/event (\(build) build, 64 workers);"
                + " render 120x40 \(Format.fixed(msPerFrame, 2)) ms/frame")
        #expect(frames == 50)
    }
}

@Suite struct ModelEntityTableTests {
    @Test func hugeIdsInTheEntityTableAreNotAllocated() {
        var info = ModelFixtures.info(servers: 1, workers: 2)
        info.entities.append(Entity(kind: .worker, id: 4_000_000_000, name: "evil"))
        info.entities.append(Entity(kind: .server, id: 70_000, name: "evil-srv"))
        let agg = Aggregator(info: info, mode: .replay(name: "evil"), options: DashboardOptions())
        #expect(agg.model.workers.count == 2)
        #expect(agg.model.servers.count == 1)
        agg.ingest(TraceEvent(timestamp: 1, kind: .switchTo, server: 0, worker: 4_000_000_000))
        agg.tick(now: 2)
        #expect(agg.model.workers.allSatisfy { $0.totals.switches == 0 })
    }

    @Test func sparseIdsGetPlaceholderNames() {
        let info = RunInfo(
            backend: "emulated", backendReason: "", kernel: "", hostname: "", cpus: 1, scenario: "",
            wallClockAnchorNs: 0, monotonicAnchorNs: 0,
            entities: [Entity(kind: .worker, id: 3, name: "only"), Entity(kind: .server, id: 1, name: "s1")])
        let m = DashboardModel(info: info, mode: .live, options: DashboardOptions())
        // Ids without an entity get no row (the table is sized by the workers present, issue #15).
        #expect(m.workers.map(\.name) == ["only"])
        #expect(m.workerName(3) == "only" && m.workerName(0) == "-")
        #expect(m.servers.map(\.name) == ["srv0", "s1"])
        #expect(m.workerName(99) == "-" && m.serverName(TraceEvent.noServer) == "-")
    }
}

extension ModelThroughputTests {
    /// 10,000 workers (the engine's stress size): the cost of a tick and a frame.
    @Test func printTickAndRenderCostWithManyWorkers() {
        let agg = Aggregator(
            info: ModelFixtures.info(servers: 2, workers: 10_000), mode: .live, options: DashboardOptions())
        let clock = ContinuousClock()
        var ticks = Duration.zero
        var frames = Duration.zero
        for round in 0..<5 {
            let base = ModelFixtures.t0 + UInt64(round) * ModelFixtures.second
            for w in 0..<10_000 {
                agg.ingest(
                    TraceEvent(
                        timestamp: base + UInt64(w), kind: .switchTo, server: UInt16(w % 2), worker: UInt32(w), arg: 500
                    ))
                agg.ingest(
                    TraceEvent(
                        timestamp: base + UInt64(w) + 1, kind: .wait, server: UInt16(w % 2), worker: UInt32(w), arg: 1))
            }
            ticks += clock.measure { agg.tick(now: base + ModelFixtures.second - 1) }
            frames += clock.measure { _ = DashboardView.render(agg.model, width: 120, height: 40) }
        }
        print("umcgtop model: 10000 workers: tick \(ticks / 5), frame \(frames / 5)")
        #expect(agg.model.workers[9_999].totals.switches == 5)
    }
}

/// How many events the allocation probe folds (`UMCGTOP_ALLOC_PROBE_EVENTS`), nil when unset.
private enum AllocationProbe {
    static var events: Int? { ProcessInfo.processInfo.environment["UMCGTOP_ALLOC_PROBE_EVENTS"].flatMap { Int($0) } }
}

/// Run by hand under valgrind to count heap allocations per event:
/// `UMCGTOP_ALLOC_PROBE_EVENTS=N valgrind <xctest> --testing-library swift-testing --filter ModelAllocationProbe`
/// for two values of N; the "total heap usage" allocs should not grow with N.
@Suite(
    .enabled(
        if: AllocationProbe.events != nil,
        "run by hand under valgrind with UMCGTOP_ALLOC_PROBE_EVENTS=N (see the comment above)"))
struct ModelAllocationProbeTests {
    @Test func foldManyEvents() throws {
        let n = try #require(AllocationProbe.events)
        let agg = Aggregator(
            info: ModelFixtures.info(servers: 2, workers: 64), mode: .live, options: DashboardOptions())
        let kinds: [TraceEventKind] = [
            .wake, .switchTo, .wait, .switchTo, .block, .preempt, .baselineSample, .serverIdle,
        ]
        agg.tick(now: ModelFixtures.t0)
        for i in 0..<n {
            agg.ingest(
                TraceEvent(
                    timestamp: ModelFixtures.t0 + UInt64(i) * 100, kind: kinds[i % kinds.count], server: UInt16(i % 2),
                    worker: UInt32((i / 8) % 64), arg: UInt64(i % 5_000)))
        }
        agg.tick(now: ModelFixtures.t0 + UInt64(n) * 100)
        #expect(agg.model.status.eventsTotal == UInt64(n))
    }
}
