import Foundation
import Testing
import UMCGAnalysis
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// `LiveSource(engine:hub:)`: a program's own engine through the dashboard pipeline, with workers
/// spawned while it runs.
@Suite struct AppLiveSourceTests {
    static func engine(hub: TraceHub) throws -> Engine {
        try Engine(
            EngineConfiguration(
                servers: 2, workers: 2, workload: .pingpong, reservedWorkers: 2, backend: .emulated, hub: hub,
                workerStackBytes: 128 << 10))
    }

    /// Pumps and ticks until `condition` holds on the model (at most `seconds`).
    static func pump(
        _ source: LiveSource, _ aggregator: inout Aggregator, seconds: Double, until condition: (DashboardModel) -> Bool
    ) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            _ = source.pump(into: &aggregator, budget: 100_000, now: SystemClock.monotonicNanos())
            aggregator.tick(now: SystemClock.monotonicNanos())
            if condition(aggregator.model) { return true }
            usleep(20_000)
        }
        return false
    }

    @Test func aProgramsEngineShowsItsWorkersIncludingOnesSpawnedWhileRunning() throws {
        let hub = TraceHub(ringCapacity: 1 << 18)
        let engine = try Self.engine(hub: hub)
        try engine.spawn(name: "before-start") { ctx in
            while !ctx.shouldStop { try ctx.yield() }
        }
        let source = try LiveSource(engine: engine, hub: hub)
        defer { source.stop() }
        #expect(engine.hasStarted)
        #expect(
            source.startInfo.entities.filter { $0.kind == .worker }.map(\.name) == [
                "pingpong-0", "pingpong-1", "before-start",
            ])
        var aggregator = Aggregator(info: source.info, mode: .live, options: DashboardOptions(refreshMillis: 20))
        #expect(
            Self.pump(source, &aggregator, seconds: 30) { m in
                m.workers.count == 3 && m.workers.allSatisfy { $0.totals.switches > 0 }
            })
        try engine.spawn(name: "late") { ctx in
            while !ctx.shouldStop {
                try ctx.blocking(.sleep) { usleep(100) }
            }
        }
        // The dashboard grows a row named after it; its counters (snapshots) and its block events
        // (the trace, which may trail the counters) arrive.
        #expect(
            Self.pump(source, &aggregator, seconds: 30) { m in
                m.workers.count == 4 && m.workers[3].name == "late" && m.workers[3].totals.blocks > 0
                    && m.workers[3].lastBlockReason == .sleep
            })
        #expect(aggregator.model.workers[3].lastBlockReason == .sleep)
        // `info` has it; the recording header (`startInfo`) does not.
        #expect(source.info.entities.contains { $0.kind == .worker && $0.name == "late" })
        #expect(!source.startInfo.entities.contains { $0.name == "late" })
        source.stop()
        #expect(engine.exitedWorkerCount == 4)
        #expect(source.note == nil)
    }

    @Test func aRecordingKeepsTheStartEntitiesAndHoldsTheLateWorkersEvents() throws {
        let path = EndToEnd.scratch("late.umcgtrace")
        defer { unlink(path) }
        let hub = TraceHub(ringCapacity: 1 << 18)
        let engine = try Self.engine(hub: hub)
        let source = try LiveSource(engine: engine, hub: hub, recordPath: path)
        var aggregator = Aggregator(info: source.info, mode: .live, options: DashboardOptions(refreshMillis: 20))
        let late = try engine.spawn(name: "late") { ctx in
            while !ctx.shouldStop { try ctx.yield() }
        }
        #expect(
            Self.pump(source, &aggregator, seconds: 30) { m in m.workers.count == 3 && m.workers[2].totals.switches > 0
            }
        )
        source.stop()
        #expect(source.note == nil)
        let reader = try TraceReader.open(path: path)
        // The header: the entities of the start; the late worker comes in an entity record (format 2).
        let header = reader.info.entities.dropLast(reader.lateEntities.count)
        #expect(header.filter { $0.kind == .worker }.map(\.name) == ["pingpong-0", "pingpong-1"])
        #expect(reader.lateEntities.map(\.name) == ["late"])
        #expect(reader.lateEntities.map(\.id) == [UInt32(late)])
        #expect(reader.info.entities.contains { $0.kind == .worker && $0.name == "late" })
        var lateEvents = 0
        var lateInKeyframe = false
        try reader.forEachRecord { record in
            switch record {
            case .event(let e) where e.worker == UInt32(late): lateEvents += 1
            case .keyframe(let k): lateInKeyframe = lateInKeyframe || k.workers.contains { $0.id == UInt32(late) }
            default: break
            }
        }
        #expect(lateEvents > 0)
        #expect(lateInKeyframe)
        // A replay shows it under its name, with its switches; so does `umcgtop report`.
        let replay = try ReplaySource(path: path, paced: false)
        var replayed = Aggregator(info: replay.info, mode: .replay(name: "late"), options: DashboardOptions())
        while replay.pump(into: &replayed, budget: 100_000, now: 1) > 0 {}
        replayed.tick(now: replay.clock.position)
        #expect(replayed.model.worker(UInt32(late))?.name == "late")
        // The fold's totals (a row's are those of the last 100 ms sample, which may precede its switches).
        let lateFold = replayed.fold.events.workers.first { $0.id == UInt32(late) }
        #expect(lateFold?.totals(at: replay.clock.position).switches ?? 0 > 0)
        let report = try TraceReport(reader: reader)
        #expect(report.workers.first { $0.id == UInt32(late) }?.name == "late")
        #expect(report.workers.first { $0.id == UInt32(late) }?.switches ?? 0 > 0)
    }

    @Test func anEngineWritingIntoAnotherHubIsRefused() throws {
        let engine = try Self.engine(hub: TraceHub())
        #expect(throws: EngineError.self) { try LiveSource(engine: engine, hub: TraceHub()) }
        #expect(!engine.hasStarted)
    }

    @Test func addWorkersGrowsTheTableAndKeepsKnownRows() {
        let info = RunInfo(
            backend: "emulated", backendReason: "", kernel: "", hostname: "", cpus: 1, scenario: "",
            wallClockAnchorNs: 0, monotonicAnchorNs: 0,
            entities: [
                Entity(kind: .server, id: 0, name: "srv0", tid: 0), Entity(kind: .worker, id: 0, name: "a", tid: 0),
            ])
        let aggregator = Aggregator(info: info, mode: .live, options: DashboardOptions())
        #expect(!aggregator.addWorkers([Entity(kind: .worker, id: 0, name: "renamed", tid: 0)]))
        #expect(aggregator.model.workers.map(\.name) == ["a"])
        #expect(aggregator.addWorkers([Entity(kind: .worker, id: 2, name: "c", tid: 0)]))
        // Skipped ids get no row (the table is sized by the workers present, issue #15).
        #expect(aggregator.model.workers.map(\.name) == ["a", "c"])
        #expect(aggregator.model.workers.map(\.id) == [0, 2])
        #expect(aggregator.model.workerName(2) == "c")
        #expect(!aggregator.model.hasWorker(1))
        #expect(!aggregator.addWorkers([Entity(kind: .worker, id: UInt32(Aggregator.maxWorkers), name: "x", tid: 0)]))
        #expect(!aggregator.addWorkers([Entity(kind: .server, id: 5, name: "srv5", tid: 0)]))
        // Events of the new ids fold into their rows.
        aggregator.ingest(TraceEvent(timestamp: 10, kind: .register, server: 0, worker: 2, cpu: 0, arg: 0))
        aggregator.tick(now: 1_000_000_000)
        #expect(aggregator.model.worker(2)?.state == .idle)
    }
}
