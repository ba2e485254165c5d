import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Issue #15 (RSS goal): a crafted trace naming a few workers at huge ids must cost a few rows, not one
/// row per id up to the highest (ids 0 and 99,999 used to allocate 100,000 dashboard rows, ~626 MB).
@Suite struct HugeWorkerIdTests {
    static let hugeIds: [UInt32] = [3, 50_000, UInt32(Aggregator.maxWorkers - 1)]

    static func info() -> RunInfo {
        RunInfo(
            backend: "emulated", backendReason: "test", kernel: "k", hostname: "h", cpus: 1, scenario: "huge ids",
            wallClockAnchorNs: 0, monotonicAnchorNs: 1_000_000_000,
            entities: [Entity(kind: .server, id: 0, name: "srv0")]
                + hugeIds.map { Entity(kind: .worker, id: $0, name: "far-\($0)") })
    }

    /// The crafted file: the header's workers at huge ids, each switched to and blocked, one keyframe.
    static func write() throws -> String {
        let path = EndToEnd.scratch("huge-ids.umcgtrace")
        let writer = try TraceWriter(path: path, info: info())
        try writer.appendKeyframe(Snapshot(timestamp: 1_000_000_000, servers: [], workers: []))
        var t: UInt64 = 1_000_000_000
        for _ in 0..<100 {
            for id in hugeIds {
                t += 1_000
                try writer.append(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: id))
                t += 1_000
                try writer.append(TraceEvent(timestamp: t, kind: .block, server: 0, worker: id, arg: 1))
            }
        }
        try writer.finish()
        return path
    }

    /// Rows, tracks and fold rows all match the workers present; only the 4-byte slot table spans the ids.
    static func expectRowsBounded(_ agg: Aggregator, _ comment: String) {
        let n = hugeIds.count
        #expect(agg.model.workers.count == n, "\(comment): rows")
        #expect(agg.fold.workerRows.count == n && agg.fold.workerRows.capacity < 64, "\(comment): row capacity")
        #expect(agg.fold.workerTracks.count == n && agg.fold.workerTracks.capacity < 64, "\(comment): tracks")
        #expect(agg.fold.events.workers.count == n && agg.fold.events.workers.capacity < 64, "\(comment): fold")
        #expect(agg.model.workerSlots.count == Aggregator.maxWorkers, "\(comment): slot table")
        #expect(agg.model.workers.map(\.id) == hugeIds, "\(comment): ids")
        for id in hugeIds {
            #expect(agg.model.worker(id)?.name == "far-\(id)", "\(comment): worker \(id)")
            let fold = agg.fold.events.workers.first { $0.id == id }
            #expect(fold?.since.switches == 100, "\(comment): worker \(id) switches")
        }
        #expect(!agg.model.hasWorker(4) && agg.model.worker(99_998) == nil)
    }

    @Test func theModelHasOneRowPerWorkerPresent() {
        let agg = Aggregator(info: Self.info(), mode: .live, options: DashboardOptions())
        var t: UInt64 = 1_000_000_000
        for _ in 0..<100 {
            for id in Self.hugeIds {
                t += 1_000
                agg.ingest(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: id))
            }
        }
        // An id with no row changes nothing but counts.
        agg.ingest(TraceEvent(timestamp: t + 1, kind: .switchTo, server: 0, worker: 77_777))
        agg.tick(now: t + 1_000_000_000)
        Self.expectRowsBounded(agg, "live")
        // The view finds the far worker by id (selection, detail) and sizes the ID column by it.
        var model = agg.model
        model.ui.selectedWorker = 99_999
        model.ui.selectionChosen = true
        model.ui.detailWorker = 99_999
        #expect(model.detailRow?.id == 99_999)
        model.ui.detailWorker = nil
        _ = model.apply(.resize(width: 100, height: 30))
        let grid = DashboardView.render(model, width: 100, height: 30)
        #expect(grid.text.contains("3/3"), "\(grid.text)")
        #expect(
            grid.text.split(separator: "\n").contains { $0.contains("99999") && $0.contains("far-99999") },
            "\(grid.text)")
    }

    @Test func aReplayOfTheCraftedFileHasOneRowPerWorkerPresent() throws {
        let path = try Self.write()
        defer { unlink(path) }
        let source = try ReplaySource(path: path, paced: false)
        var agg = Aggregator(info: source.info, mode: .replay(name: "huge"), options: DashboardOptions())
        while source.pump(into: &agg, budget: 10_000, now: 1) > 0 {}
        agg.tick(now: source.clock.position)
        Self.expectRowsBounded(agg, "replay")
        // A seek rebuilds from a keyframe: the rebuilt tables are as small.
        _ = source.perform(.seekToStart, aggregator: &agg, now: 2)
        _ = source.perform(.seekToEnd, aggregator: &agg, now: 3)
        agg.tick(now: source.clock.position)
        Self.expectRowsBounded(agg, "after seeks")
    }

    @Test(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
    func aHeadlessReplayOfTheCraftedFileListsTheFarWorkers() throws {
        let path = try Self.write()
        defer { unlink(path) }
        let r = try EndToEnd.run(["--headless", "--replay", path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(
            r.stdout.split(separator: "\n").contains { $0.contains("99999") && $0.contains("far-99999") }, "\(r.stdout)"
        )
        #expect(r.stdout.contains("3/3"), "\(r.stdout)")
    }
}
