import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Colour roles and robustness of the rendered grid (text snapshots cannot see styles).
@Suite struct ViewStyleTests {
    /// The first cell of `needle` on row `y`, if present.
    func find(_ needle: String, in b: ScreenBuffer, row y: Int) -> Cell? {
        let line = Array((0..<b.width).map { b[$0, y].scalar })
        let n = Array(needle.unicodeScalars)
        guard n.count <= line.count else { return nil }
        for x in 0...(line.count - n.count) where Array(line[x..<(x + n.count)]) == n { return b[x, y] }
        return nil
    }

    @Test func dropsAreRedOnlyWhenNonZero() {
        let agg = ModelFixtures.aggregator(seconds: 2)
        var b = DashboardView.render(agg.model, width: 80, height: 24)
        #expect(find("drops", in: b, row: 0)?.style.color == .dim)
        agg.ingest(TraceEvent(timestamp: ModelFixtures.t0 + 3 * ModelFixtures.second, kind: .dropped, arg: 3))
        agg.tick(now: ModelFixtures.t0 + 3 * ModelFixtures.second + 1)
        b = DashboardView.render(agg.model, width: 80, height: 24)
        #expect(find("drops 3", in: b, row: 0)?.style.color == .bad)
    }

    @Test func seriesAndStatesUseTheirRoles() {
        let agg = ModelFixtures.aggregator(seconds: 3)
        let b = DashboardView.render(agg.model, width: 80, height: 24)
        let layout = DashboardLayout(model: agg.model, width: 80, height: 24)
        #expect(find("UMCG", in: b, row: layout.ratesY + 1)?.style.color == .umcg)
        #expect(find("futex", in: b, row: layout.ratesY + 2)?.style.color == .futex)
        #expect(find("condvar", in: b, row: layout.ratesY + 3)?.style.color == .condvar)
        let graphCells = (layout.ratesY + 1...layout.ratesY + layout.graphRows).flatMap { y in
            (40..<80).map { b[$0, y] }
        }
        let roles = Set(graphCells.filter { $0.scalar.value >= 0x2800 && $0.scalar.value <= 0x28FF }.map(\.style.color))
        #expect(roles == [.umcg, .futex, .condvar])
        let running = (0..<24).compactMap { find("▶", in: b, row: $0) }.first
        #expect(running?.style.color == .good)
        #expect(find(" LIVE ", in: b, row: 0)?.style.reverse == true)
    }

    /// A running server between two workers (a fast ping-pong spends much of its time there) shows
    /// the worker it ran last, dimmed, instead of "-"; an idle one shows "-".
    @Test func aServerBetweenWorkersShowsItsLastWorkerDimmed() {
        let agg = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        let t0 = ModelFixtures.t0
        func at(_ dt: UInt64, _ kind: TraceEventKind, w: UInt32 = TraceEvent.noWorker) -> TraceEvent {
            TraceEvent(timestamp: t0 + dt, kind: kind, server: 1, worker: w)
        }
        func workerCell(_ name: String, now: UInt64) -> (model: ServerRow?, cell: Cell?, dash: Bool) {
            agg.tick(now: t0 + now)
            let b = DashboardView.render(agg.model, width: 80, height: 24)
            let y = DashboardLayout(model: agg.model, width: 80, height: 24).serversY + 2
            return (agg.model.servers.first { $0.id == 1 }, find(name, in: b, row: y), b[10, y].scalar == "-")
        }
        for e in [at(1, .register, w: 3), at(10, .wake, w: 3), at(20, .switchTo, w: 3)] { agg.ingest(e) }
        var shown = workerCell("cpu-3", now: 21)
        #expect(shown.model?.currentWorker == 3)
        #expect(shown.cell?.style.color == .normal)
        agg.ingest(at(30, .wait, w: 3))
        shown = workerCell("cpu-3", now: 31)
        #expect(shown.model?.currentWorker == TraceEvent.noWorker)
        #expect(shown.model?.lastWorker == 3)
        #expect(shown.model?.state == .running)
        #expect(shown.cell?.style.color == .dim)
        agg.ingest(at(40, .serverIdle))
        shown = workerCell("cpu-3", now: 41)
        #expect(shown.cell == nil)
        #expect(shown.dash)
    }

    @Test func selectedRowIsReverseVideo() {
        var m = ModelFixtures.aggregator(seconds: 2).model
        _ = m.apply(.move(.bottom))
        let b = DashboardView.render(m, width: 80, height: 24)
        let layout = DashboardLayout(model: m, width: 80, height: 24)
        let rows = (layout.workersY + 1..<layout.footerY).filter { b[0, $0].scalar == "▸" }
        #expect(rows.count == 1)
        if let y = rows.first { #expect(b[10, y].style.reverse) }
    }

    @Test func asciiModeDrawsOnlyASCII() {
        var m = ModelFixtures.aggregator(seconds: 3, options: DashboardOptions(ascii: true, refreshMillis: 250)).model
        for setup in 0..<3 {
            if setup == 1 { _ = m.apply(.toggleHelp) }
            if setup == 2 {
                _ = m.apply(.closeOverlay)
                _ = m.apply(.openDetail)
            }
            let b = DashboardView.render(m, width: 100, height: 30)
            let wide = b.cells.filter { $0.scalar.value > 0x7E }
            #expect(
                wide.isEmpty,
                "non-ASCII in setup \(setup): \(String(String.UnicodeScalarView(wide.prefix(10).map(\.scalar))))")
        }
    }

    /// Untrusted input: random kinds, ids, timestamps and snapshots never trap, and rendering
    /// at any size stays within the grid.
    @Test func randomInputNeverTraps() {
        var rng = SplitMix64(seed: 42)
        let agg = Aggregator(
            info: ModelFixtures.info(servers: 3, workers: 5), mode: .replay(name: "fuzz"), options: DashboardOptions())
        let kinds = TraceEventKind.allCases
        for i in 0..<20_000 {
            let kind = kinds[Int(rng.next() % UInt64(kinds.count))]
            let worker = rng.next() % 4 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : UInt32(rng.next() % 7)
            let server = rng.next() % 4 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : UInt16(rng.next() % 4)
            let ts = rng.next() % 8 == 0 ? rng.next() : UInt64(i) * 1_000
            agg.ingest(
                TraceEvent(
                    timestamp: ts, kind: kind, server: server, worker: worker, arg: rng.next() >> (rng.next() % 64)))
            if i % 997 == 0 {
                var w = WorkerCounters(
                    id: UInt32(rng.next() % 9), state: WorkerState(rawValue: UInt8(rng.next() % 8)) ?? .idle)
                w.runNanos = rng.next()
                w.switches = rng.next()
                let s = ServerCounters(
                    id: UInt16(rng.next() % 5), state: .running, currentWorker: UInt32(truncatingIfNeeded: rng.next()))
                agg.ingest(
                    snapshot: Snapshot(timestamp: rng.next(), servers: [s], workers: [w], droppedEvents: rng.next()))
            }
            if i % 500 == 0 {
                agg.tick(now: UInt64(i) * 1_000 + rng.next() % 10_000)
                _ = agg.apply(.move(.down))
                let b = DashboardView.render(agg.model, width: Int(rng.next() % 200), height: Int(rng.next() % 60))
                #expect(b.cells.count == b.width * b.height)
            }
        }
        var m = agg.model
        _ = m.apply(.openDetail)
        _ = DashboardView.render(m, width: 80, height: 24)
        _ = m.apply(.toggleHelp)
        _ = DashboardView.render(m, width: 61, height: 17)
    }
}

@Suite struct ViewResizeTests {
    /// The tmux sequence: help on and off, shrink below the minimum, grow back.
    @Test func shrinkAndGrowBack() {
        let agg = ModelFixtures.aggregator(seconds: 3)
        for (w, h) in [(120, 40), (30, 8), (120, 40), (59, 15), (60, 16), (200, 60), (1, 1), (80, 24)] {
            _ = agg.apply(.resize(width: w, height: h))
            _ = agg.apply(.toggleHelp)
            _ = DashboardView.render(agg.model, width: w, height: h)
            _ = agg.apply(.closeOverlay)
            agg.tick(now: ModelFixtures.t0 + 4 * ModelFixtures.second)
            let b = DashboardView.render(agg.model, width: w, height: h)
            #expect(b.cells.count == w * h)
            if w >= 30 { #expect(b.text.contains("too small") == (w < 60 || h < 16)) }
        }
    }
}
