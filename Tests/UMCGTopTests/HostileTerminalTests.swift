import Foundation
import Testing
import UMCGEngine
import UMCGTrace

@testable import UMCGTop

/// Issue #15 items 4 and 5 and the hostile-terminal corpus: names with escapes, wide and combining
/// characters and 4 KB names, rendered at many sizes, always fill each row with exactly `width`
/// terminal columns and put no control character in the grid; thousands of workers all show.
@Suite struct HostileTerminalTests {
    /// Terminal columns of each row of `grid`, checking the wide-character invariant on the way
    /// (a wide scalar is followed by its continuation cell, a continuation follows a wide scalar).
    static func rowWidths(_ grid: ScreenBuffer) -> [Int] {
        (0..<grid.height).map { y in
            var columns = 0
            var x = 0
            while x < grid.width {
                let cell = grid[x, y]
                let w = DisplayWidth.of(cell.scalar)
                if cell.isContinuation || w == 0 { return -1 }
                if w == 2 {
                    guard x + 1 < grid.width, grid[x + 1, y].isContinuation else { return -1 }
                    x += 2
                } else {
                    x += 1
                }
                columns += w
            }
            return columns
        }
    }

    /// Control characters (C0, DEL, C1) anywhere in the grid's cells, continuation cells aside.
    static func controls(_ grid: ScreenBuffer) -> [UInt32] {
        grid.cells.filter { !$0.isContinuation && DisplayWidth.isControl($0.scalar) }.map(\.scalar.value)
    }

    static let hostileNames: [String] = [
        "名前", "名前-ワーカー-長い名前", "e\u{301}\u{301}\u{301}cole", "\u{1b}[2Jclear", "\u{1b}]0;title\u{7}x",
        "new\nline", "tab\there", "csi\u{9b}31m", "bidi\u{202e}evil", "zwj👩‍💻dev", "😀😀😀😀😀😀😀😀",
        "한국어이름", "ｆｕｌｌｗｉｄｔｈ", String(repeating: "A", count: 4096), String(repeating: "名", count: 2048),
        String(repeating: "a\u{300}", count: 2048), "\u{7f}\u{0}\u{1}",
    ]

    static func hostileInfo() -> RunInfo {
        let base = ModelFixtures.info(workers: hostileNames.count)
        let servers = [
            Entity(kind: .server, id: 0, name: "サーバー\u{1b}[1m"), Entity(kind: .server, id: 1, name: "s\u{301}1"),
        ]
        let workers = hostileNames.enumerated().map { Entity(kind: .worker, id: UInt32($0), name: $1) }
        return RunInfo(
            backend: base.backend, backendReason: "理由\u{1b}[31m", kernel: base.kernel, hostname: "ホスト",
            cpus: base.cpus, scenario: base.scenario, wallClockAnchorNs: base.wallClockAnchorNs,
            monotonicAnchorNs: base.monotonicAnchorNs, entities: servers + workers)
    }

    static let sizes: [(Int, Int)] = [
        (40, 10), (60, 16), (61, 17), (80, 24), (99, 30), (100, 30), (133, 41), (200, 60),
    ]

    @Test func widthsFollowWcwidth() {
        #expect(DisplayWidth.width("abc") == 3)
        #expect(DisplayWidth.width("名前") == 4)
        #expect(DisplayWidth.width("e\u{301}") == 1)
        #expect(DisplayWidth.width("ｆ") == 2)
        #expect(DisplayWidth.width("\u{202e}") == 0)
        #expect(DisplayWidth.width("▼▲·") == 3)
        #expect(Format.left("名前名前", 5) == "名前…")
        #expect(Format.left("a名前", 4) == "a名…")
        #expect(Format.left("名前", 2) == " …")
        #expect(DisplayWidth.width(Format.left("a名前名", 5)) == 5)
        #expect(DisplayWidth.width(Format.right("名前名前", 5)) == 5)
        #expect(DisplayWidth.width(Format.left("e\u{301}cole", 6)) == 6)
    }

    @Test func putKeepsRowsExactlyWideWhenOverwritingHalves() {
        var grid = ScreenBuffer(width: 10, height: 2)
        #expect(grid.put("名前名前名前", x: 0, y: 0) == 10)
        #expect(grid.put("名前", x: 9, y: 1) == 1)  // the wide character does not fit: a space
        grid.put("x", x: 1, y: 0)  // the right half of 名: the left half becomes a space
        grid[4, 0] = Cell("y")  // the left half of 名: the right half becomes a space
        grid.put("\u{1b}[2J", x: 6, y: 1)
        #expect(Self.rowWidths(grid) == [10, 10])
        #expect(Self.controls(grid).isEmpty)
        #expect(grid.text.split(separator: "\n").first == " x前y 前名")
    }

    @Test(arguments: [false, true])
    func hostileNamesRenderInsideTheGridAtEverySize(ascii: Bool) {
        let info = Self.hostileInfo()
        let agg = Aggregator(info: info, mode: .live, options: DashboardOptions(ascii: ascii))
        ModelFixtures.feed(agg, from: 0, seconds: 3, workers: Self.hostileNames.count, snapshots: true)
        agg.model.status.warning = "警告\u{1b}[2J" + String(repeating: "長", count: 300)
        for (w, h) in Self.sizes {
            for ui in 0..<4 {
                var model = agg.model
                _ = model.apply(.resize(width: w, height: h))
                switch ui {
                case 1: model.ui.filter = "名前"
                case 2: model.ui.filterDraft = "名前\u{1b}[2J" + String(repeating: "前", count: 200)
                case 3: model.ui.detailWorker = model.workers.last?.id
                default: break
                }
                let grid = DashboardView.render(model, width: w, height: h)
                let widths = Self.rowWidths(grid)
                #expect(widths == Array(repeating: w, count: h), "\(w)x\(h) ui \(ui): \(widths)\n\(grid.text)")
                #expect(Self.controls(grid).isEmpty, "\(w)x\(h) ui \(ui): controls in the grid")
            }
        }
    }

    @Test func dashboardTableMatchesTheEngineLimit() {
        #expect(Aggregator.maxWorkers == Engine.maxWorkers)
    }

    @Test func seventeenThousandWorkersAllShowWithTheirCount() throws {
        let n = 17_000
        let agg = Aggregator(info: ModelFixtures.info(workers: n), mode: .live, options: DashboardOptions())
        agg.ingest(TraceEvent(timestamp: ModelFixtures.t0 + 1, kind: .switchTo, server: 0, worker: UInt32(n - 1)))
        agg.tick(now: ModelFixtures.t0 + ModelFixtures.second)
        #expect(agg.model.workers.count == n)
        #expect(agg.model.workers.last?.id == UInt32(n - 1))
        var model = agg.model
        model.ui.filter = "cpu-16999"
        _ = model.apply(.resize(width: 100, height: 30))
        let grid = DashboardView.render(model, width: 100, height: 30)
        let lines = grid.text.split(separator: "\n")
        #expect(lines.contains { $0.contains("1/17000") }, "no N/M count:\n\(grid.text)")
        let row = try #require(lines.first { $0.contains(" 16999 ") }, "worker 16999 not shown:\n\(grid.text)")
        #expect(row.contains("cpu-16999"), "id cut: \(row)")
        #expect(Self.rowWidths(grid) == Array(repeating: 100, count: 30))
    }

    @Test func fiveDigitIdsAreNotCutAtAnyWidth() {
        let agg = Aggregator(info: ModelFixtures.info(workers: 12_000), mode: .live, options: DashboardOptions())
        agg.tick(now: ModelFixtures.t0)
        var model = agg.model
        model.ui.sortColumn = .id
        model.ui.sortDescending = true
        model.ui.selectedWorker = 11_999
        for (w, h) in [(60, 16), (80, 24), (100, 30), (120, 40)] {
            _ = model.apply(.resize(width: w, height: h))
            let grid = DashboardView.render(model, width: w, height: h)
            #expect(grid.text.contains("11999 "), "\(w)x\(h):\n\(grid.text)")
            if w >= 100 { #expect(grid.text.contains("12000/12000"), "\(w)x\(h): no count\n\(grid.text)") }
            #expect(Self.rowWidths(grid) == Array(repeating: w, count: h))
        }
    }
}

/// Issue #15 item 4 in a real terminal: a wide filter at 100×30 must not scroll the screen.
@Suite(
    .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct TmuxWideTextTests {
    @Test func wideFilterKeepsTheStatusLineOnTheFirstRow() throws {
        let tmux = try TmuxSession(width: 100, height: 30)
        defer { tmux.kill() }
        try tmux.type("LANG=C.UTF-8 \(EndToEnd.binary) --no-baselines --workers 4; echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60, TmuxSession.panelsShown), "no panels:\n\(tmux.screen())")
        try tmux.keys("/")
        try tmux.tmux(["send-keys", "-l", String(repeating: "名前", count: 30)])
        #expect(tmux.waitFor { $0.contains("Filter: 名前") }, "the filter line is not shown:\n\(tmux.screen())")
        try tmux.keys("Enter")
        #expect(tmux.waitFor { $0.contains("filter: 名前") }, "the filter was not applied:\n\(tmux.screen())")
        let rows = tmux.screen().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.first?.contains("LIVE") == true, "the status line left row 1:\n\(tmux.screen())")
        try tmux.keys("C-l")
        #expect(tmux.waitFor { $0.split(separator: "\n").first?.contains("LIVE") == true })
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 0") }, "no clean exit:\n\(tmux.screen())")
    }
}

/// Prints (never asserts on memory) what the dashboard's tables cost at `Engine.maxWorkers` workers.
@Suite struct DashboardScaleMeasurement {
    static func residentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func hundredThousandWorkersFoldTickAndRender() {
        let before = Self.residentKB()
        let n = Engine.maxWorkers
        let agg = Aggregator(info: ModelFixtures.info(workers: n), mode: .live, options: DashboardOptions())
        for w in stride(from: 0, to: n, by: 7) {
            agg.ingest(
                TraceEvent(timestamp: ModelFixtures.t0 + UInt64(w), kind: .switchTo, server: 0, worker: UInt32(w)))
        }
        agg.tick(now: ModelFixtures.t0 + ModelFixtures.second)
        agg.tick(now: ModelFixtures.t0 + 2 * ModelFixtures.second)
        let grid = DashboardView.render(agg.model, width: 120, height: 40)
        let after = Self.residentKB()
        #expect(agg.model.workers.count == n)
        #expect(grid.text.contains("\(n)/\(n)"))
        print("dashboard tables at \(n) workers: +\((after - before) / 1024) MB resident")
    }
}
