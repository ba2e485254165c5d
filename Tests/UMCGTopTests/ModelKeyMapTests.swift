import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct ModelKeyMapTests {
    /// A model with 30 workers whose switch rates tie in pairs (to check the id tiebreak).
    func model(mode: DashboardMode = .live, height: Int = 24) -> DashboardModel {
        var m = DashboardModel(info: ModelFixtures.info(workers: 30), mode: mode, options: DashboardOptions())
        for i in m.workers.indices { m.workers[i].switchesPerSecond = Double(i / 2) }
        _ = m.apply(.resize(width: 80, height: height))
        return m
    }

    /// Presses keys through the keymap, returning the last reaction.
    @discardableResult
    func press(_ keys: [Key], _ m: inout DashboardModel) -> Reaction? {
        var last: Reaction?
        for k in keys { last = action(for: k, in: m).map { m.apply($0) } }
        return last
    }

    func ids(_ m: DashboardModel) -> [UInt32] { m.visibleWorkerIndices.map { m.workers[$0].id } }

    @Test func quitClosesOverlaysFirst() {
        var m = model()
        #expect(press([.char("?")], &m) == .redraw && m.ui.showHelp)
        #expect(press([.char("q")], &m) == .redraw && !m.ui.showHelp)
        press([.enter], &m)
        #expect(m.ui.detailWorker != nil)
        #expect(action(for: .escape, in: m) == .closeOverlay)
        #expect(press([.char("q")], &m) == .redraw && m.ui.detailWorker == nil)
        #expect(press([.char("q")], &m) == .quit)
        press([.char("?")], &m)
        #expect(press([.ctrlC], &m) == .quit)
        #expect(action(for: .ctrlL, in: m) == .fullRedraw)
    }

    @Test func sortCyclesInvertsAndBreaksTiesById() {
        var m = model()
        #expect(m.ui.sortColumn == .switchRate && m.ui.sortDescending)
        #expect(Array(ids(m).prefix(4)) == [28, 29, 26, 27])
        press([.char("i")], &m)
        #expect(Array(ids(m).prefix(4)) == [0, 1, 2, 3])
        press([.char(">")], &m)
        #expect(m.ui.sortColumn == .run)
        press([.char("<"), .char("<"), .char("<"), .char("<"), .char("<")], &m)
        #expect(m.ui.sortColumn == .id && !m.ui.sortDescending)
        #expect(ids(m) == (0..<30).map { UInt32($0) })
        press([.char("<")], &m)
        #expect(m.ui.sortColumn == .p99)  // wraps around
        press([.char("<"), .char("<"), .char("<"), .char("<"), .char("<"), .char("<"), .char("<")], &m)
        #expect(m.ui.sortColumn == .name)
        #expect(ids(m).prefix(3) == [11, 15, 19])  // "cpu-11" < "cpu-15" < "cpu-19" < … < "cpu-3"
    }

    @Test func filterEditingCapturesKeys() {
        var m = model()
        press([.char("/")], &m)
        #expect(m.ui.isEditingFilter)
        // While editing, q and ? are text, not commands.
        #expect(action(for: .char("q"), in: m) == .filterInput("q"))
        press([.char("i"), .char("o"), .char("x"), .backspace], &m)
        #expect(m.ui.filterDraft == "io" && m.ui.filter == "")
        #expect(ids(m).count == 30)  // not applied yet
        press([.enter], &m)
        #expect(!m.ui.isEditingFilter && m.ui.filter == "io")
        #expect(ids(m).allSatisfy { m.workers[Int($0)].name.contains("io") })
        #expect(ids(m).count == 7)
        press([.escape], &m)
        #expect(m.ui.filter == "" && ids(m).count == 30)
        press([.char("/"), .char("s"), .char("r"), .char("v"), .escape], &m)
        #expect(m.ui.filter == "" && !m.ui.isEditingFilter)
        #expect(
            action(
                for: .ctrlC,
                in: {
                    var x = m
                    _ = x.apply(.beginFilter)
                    return x
                }()) == .quit)
    }

    @Test func filterMatchesExactStateAndServer() {
        var m = model()
        m.workers[3].state = .blocked
        m.workers[4].server = 1
        m.ui.filter = "blocked"
        #expect(ids(m) == [3])
        m.ui.filter = "SRV1"
        #expect(ids(m) == [4])
        m.ui.filter = "block"  // substring of a state does not match
        #expect(ids(m).isEmpty)
    }

    @Test func selectionMovesPagesAndScrolls() {
        var m = model(height: 24)
        let page = DashboardLayout(model: m, width: 80, height: 24).workerRows
        press([.down], &m)
        let order = ids(m)
        #expect(m.ui.selectedWorker == order[0])  // first move selects the top row
        press([.down, .down], &m)
        #expect(m.ui.selectedWorker == order[2])
        press([.pageDown], &m)
        #expect(m.ui.selectedWorker == order[2 + page])
        #expect(m.ui.scrollTop == 2 + page - page + 1)
        press([.end], &m)
        #expect(m.ui.selectedWorker == order[29] && m.ui.scrollTop == 30 - page)
        press([.down], &m)
        #expect(m.ui.selectedWorker == order[29])
        press([.home], &m)
        #expect(m.ui.selectedWorker == order[0] && m.ui.scrollTop == 0)
        #expect(press([.up], &m) == Reaction.none)
        press([.pageUp], &m)
        #expect(m.ui.selectedWorker == order[0])
        press([.enter], &m)
        #expect(m.ui.detailWorker == order[0])
        #expect(m.detailRow?.id == order[0])
        press([.down, .down], &m)
        #expect(m.ui.detailWorker == order[2] && m.ui.selectedWorker == order[2])
        press([.escape], &m)
        #expect(m.ui.detailWorker == nil && m.ui.selectedWorker == order[2])
    }

    @Test func selectionFollowsTheWorkerWhenTheOrderChanges() {
        var m = model()
        press([.down, .down], &m)
        let chosen = m.ui.selectedWorker
        press([.char("i")], &m)
        #expect(m.ui.selectedWorker == chosen)
        let pos = ids(m).firstIndex(of: chosen ?? 999) ?? -1
        #expect(pos >= m.ui.scrollTop && pos < m.ui.scrollTop + m.workerPageSize)
    }

    @Test func plusMinusStepRefreshInLive() {
        var m = model()
        #expect(m.options.refreshMillis == 1000)
        #expect(press([.char("+")], &m) == .setRefresh(500))
        #expect(press([.char("+")], &m) == .setRefresh(250))
        #expect(press([.char("+")], &m) == Reaction.none)
        for _ in 0..<5 { press([.char("-")], &m) }
        #expect(m.options.refreshMillis == 5000)
        #expect(press([.char(" ")], &m) == .togglePause && m.ui.paused)
        #expect(action(for: .left, in: m) == nil)
        #expect(action(for: .char("G"), in: m) == nil)
    }

    @Test func replayKeysBecomeClockCommands() {
        var m = model(mode: .replay(name: "t.umcgtrace"))
        #expect(press([.char(" ")], &m) == .replay(.togglePlay))
        #expect(!m.ui.paused)
        #expect(press([.right], &m) == .replay(.seek(byNanos: 1_000_000_000)))
        #expect(press([.left], &m) == .replay(.seek(byNanos: -1_000_000_000)))
        #expect(press([.shiftRight], &m) == .replay(.seek(byNanos: 10_000_000_000)))
        #expect(press([.char("[")], &m) == .replay(.seek(byNanos: -10_000_000_000)))
        #expect(press([.char("g")], &m) == .replay(.seekToStart))
        #expect(press([.char("G")], &m) == .replay(.seekToEnd))
        #expect(press([.char(".")], &m) == .replay(.stepOne))
        #expect(press([.char("+")], &m) == .replay(.faster))
        #expect(press([.char("-")], &m) == .replay(.slower))
        #expect(m.options.refreshMillis == 1000)
    }

    @Test func resizeUpdatesPageSize() {
        var m = model()
        let small = m.workerPageSize
        #expect(m.apply(.resize(width: 120, height: 40)) == .fullRedraw)
        #expect(m.workerPageSize > small)
        #expect(action(for: .unknown, in: m) == nil)
    }
}
