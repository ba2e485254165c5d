import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Rendered grids compared with checked-in snapshots (UMCGTOP_RECORD_SNAPSHOTS=1 rewrites them).
@Suite struct ViewSnapshotTests {
    /// One named screen: how to build the model, and the sizes to render it at.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let sizes: [(Int, Int)]
        let make: @Sendable () -> DashboardModel
        var testDescription: String { name }
    }

    static let all = [(80, 24), (120, 40), (60, 16)]

    static func live(ascii: Bool = false) -> DashboardModel {
        let agg = ModelFixtures.aggregator(options: DashboardOptions(ascii: ascii, refreshMillis: 250))
        agg.model.status.uiCPUPercent = 1.4
        _ = agg.apply(.resize(width: 80, height: 24))
        return agg.model
    }

    static func replay() -> DashboardModel {
        let agg = ModelFixtures.aggregator(mode: .replay(name: "run.umcgtrace"))
        agg.model.status.replay = ReplayStatus(
            positionNanos: 12_300_000_000, durationNanos: 90_000_000_000, speed: 4, playing: true)
        agg.model.status.warning = "file truncated at 12.4 s (last chunk damaged)"
        return agg.model
    }

    static let cases: [Case] = [
        Case(name: "live", sizes: all + [(61, 17), (97, 31), (100, 24), (79, 50)]) { live() },
        Case(name: "paused", sizes: all) {
            let agg = ModelFixtures.aggregator()
            _ = agg.apply(.togglePause)
            // Events after the pause must not show.
            ModelFixtures.feed(agg, from: 12, seconds: 2, workers: 8, snapshots: true)
            return agg.model
        },
        Case(name: "replay-warning", sizes: all) { replay() },
        Case(name: "replay-warning-drops", sizes: all) {
            let agg = ModelFixtures.aggregator(mode: .replay(name: "/var/tmp/traces/run.umcgtrace"))
            agg.ingest(
                TraceEvent(
                    timestamp: ModelFixtures.t0 + 12 * ModelFixtures.second + 1, kind: .dropped, server: 1, arg: 77))
            agg.tick(now: ModelFixtures.t0 + 12 * ModelFixtures.second + 300_000_000)
            agg.model.status.replay = ReplayStatus(
                positionNanos: 90_000_000_000, durationNanos: 90_000_000_000, speed: 0.25, playing: false)
            agg.model.status.warning = "2 chunks damaged (CRC), 1.3 s of events lost"
            return agg.model
        },
        Case(name: "help", sizes: all) {
            var m = live()
            _ = m.apply(.toggleHelp)
            return m
        },
        Case(name: "help-replay", sizes: all) {
            var m = replay()
            _ = m.apply(.toggleHelp)
            return m
        },
        Case(name: "detail", sizes: all) {
            var m = live()
            _ = m.apply(.move(.down))
            _ = m.apply(.openDetail)
            return m
        },
        Case(name: "too-small", sizes: [(59, 16), (60, 15), (30, 8)]) { live() },
        Case(name: "ascii", sizes: all) { live(ascii: true) },
        Case(name: "ascii-help", sizes: all) {
            var m = live(ascii: true)
            _ = m.apply(.toggleHelp)
            return m
        },
        Case(name: "ascii-detail", sizes: all) {
            var m = live(ascii: true)
            _ = m.apply(.openDetail)
            return m
        },
        Case(name: "filter-editing", sizes: all) {
            var m = live()
            _ = m.apply(.beginFilter)
            for c in "io" { _ = m.apply(.filterInput(c)) }
            return m
        },
        Case(name: "filtered-sorted", sizes: all) {
            var m = live()
            _ = m.apply(.beginFilter)
            for c in "i" { _ = m.apply(.filterInput(c)) }
            _ = m.apply(.applyFilter)
            _ = m.apply(.sortPrevious)  // id
            _ = m.apply(.sortInvert)
            return m
        },
        Case(name: "drops-unknown", sizes: all) {
            let agg = ModelFixtures.aggregator()
            agg.ingest(
                TraceEvent(
                    timestamp: ModelFixtures.t0 + 12 * ModelFixtures.second + 200_000_000, kind: .dropped, arg: 1234))
            agg.model.status.recordingPath = "/tmp/out/run.umcgtrace"
            agg.model.status.recordingBytes = 3_456_789
            agg.tick(now: ModelFixtures.t0 + 12 * ModelFixtures.second + 300_000_000)
            return agg.model
        },
        Case(name: "many-servers-workers", sizes: all) {
            let agg = Aggregator(
                info: ModelFixtures.info(servers: 8, workers: 40), mode: .live, options: DashboardOptions())
            for i in 0..<4_000 {
                agg.ingest(
                    TraceEvent(
                        timestamp: ModelFixtures.t0 + UInt64(i) * 1_000_000, kind: .switchTo, server: UInt16(i % 8),
                        worker: UInt32(i % 40), arg: UInt64(1_000 + (i % 40) * 500)))
                if i % 100 == 0 { agg.tick(now: ModelFixtures.t0 + UInt64(i) * 1_000_000) }
            }
            _ = agg.apply(.move(.bottom))
            return agg.model
        },
        Case(name: "empty", sizes: all) {
            Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions()).model
        },
    ]

    @Test(arguments: cases)
    func snapshot(_ c: Case) {
        let model = c.make()
        for (w, h) in c.sizes {
            let buffer = DashboardView.render(model, width: w, height: h)
            ViewSnapshotSupport.assertSnapshot(buffer, named: "\(c.name)-\(w)x\(h)")
        }
    }
}
