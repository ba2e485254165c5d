import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct AppDashboardLoopTests {
    private func makeLoop(
        screen: FakeScreen, source: FakeSource, clock: FakeClock, budget: Int = 50_000, deadline: Double? = nil,
        mode: DashboardMode = .live, signal: @escaping () -> Int32? = { nil }
    ) -> DashboardLoop {
        DashboardLoop(
            screen: screen, source: source,
            aggregator: Aggregator(info: source.info, mode: mode, options: DashboardOptions()),
            configuration: .init(tickMillis: 50, refreshMillis: 1000, drainBudget: budget), deadline: deadline,
            clock: { clock.now }, pendingSignal: signal)
    }

    @Test func quitKeyEndsWithStatusZero() {
        let clock = FakeClock()
        let screen = FakeScreen(clock: clock, script: [(3, .char("q"))])
        let source = FakeSource(waiting: 10)
        let loop = makeLoop(screen: screen, source: source, clock: clock)
        #expect(loop.run() == 0)
        #expect(loop.eventsFolded == 10)
        #expect(screen.frames.count >= 1)
        #expect(screen.fullDraws >= 1)  // the first frame paints everything
    }

    @Test func drainIsBoundedPerTick() {
        let clock = FakeClock()
        let screen = FakeScreen(clock: clock, script: [(20, .char("q"))])
        let source = FakeSource(waiting: 1000)
        let loop = makeLoop(screen: screen, source: source, clock: clock, budget: 100)
        _ = loop.run()
        #expect(source.pumps.allSatisfy { $0 <= 100 })
        #expect(source.pumps.prefix(10).allSatisfy { $0 == 100 })
        #expect(loop.eventsFolded == 1000)
    }

    @Test func framesOnlyWhenSomethingChanged() {
        let clock = FakeClock()
        // 200 empty reads of ≤50 ms each ≈ 10 s of fake time at a 1 s refresh: about 10 frames, not 200.
        let screen = FakeScreen(clock: clock, script: [(200, .char("q"))])
        let source = FakeSource(waiting: 0)
        let loop = makeLoop(screen: screen, source: source, clock: clock)
        _ = loop.run()
        #expect(screen.frames.count >= 5)
        #expect(screen.frames.count <= 15)
    }

    @Test func keyRedrawsAtOnceAndResizeRepaintsFully() {
        let clock = FakeClock()
        let screen = FakeScreen(
            clock: clock, script: [(2, .char("?")), (1, .resize), (2, .char("q")), (1, .char("q"))])
        let source = FakeSource(waiting: 0)
        let loop = makeLoop(screen: screen, source: source, clock: clock)
        _ = loop.run()
        #expect(screen.frames.count >= 3)
        #expect(screen.fullDraws >= 2)
        // q first closes the help overlay, the second q quits.
        #expect(screen.frames.contains { $0.text.contains("umcgtop help") })
        #expect(!loop.aggregator.model.ui.showHelp)
    }

    @Test func signalEndsWith128PlusSignal() {
        let clock = FakeClock()
        let screen = FakeScreen(clock: clock, script: [])
        let source = FakeSource(waiting: 0)
        let loop = makeLoop(screen: screen, source: source, clock: clock, signal: { screen.reads >= 5 ? 15 : nil })
        #expect(loop.run() == 143)
    }

    @Test func deadlineEndsWithStatusZero() {
        let clock = FakeClock()
        let screen = FakeScreen(clock: clock, script: [])
        let source = FakeSource(waiting: 0)
        let start = clock.now
        let loop = makeLoop(screen: screen, source: source, clock: clock, deadline: 2)
        #expect(loop.run() == 0)
        #expect(clock.now - start >= 2_000_000_000)
        #expect(clock.now - start < 3_000_000_000)
    }

    @Test func replayKeysReachTheSource() {
        let clock = FakeClock()
        let screen = FakeScreen(clock: clock, script: [(1, .right), (0, .char("G")), (1, .char("q"))])
        let source = FakeSource(waiting: 0)
        _ = makeLoop(screen: screen, source: source, clock: clock, mode: .replay(name: "f")).run()
        #expect(source.commands == [.seek(byNanos: 1_000_000_000), .seekToEnd])
    }

    @Test func pausedLiveViewKeepsDraining() {
        let clock = FakeClock()
        let screen = FakeScreen(clock: clock, script: [(1, .char(" ")), (40, .char("q"))])
        let source = FakeSource(waiting: 0)
        let loop = makeLoop(screen: screen, source: source, clock: clock)
        var pausedPumps = 0
        screen.onRead = { _ in
            // Events keep arriving while the view is paused.
            if loop.aggregator.model.ui.paused {
                source.waiting += 10
                pausedPumps += 1
            }
        }
        #expect(loop.run() == 0)
        #expect(pausedPumps > 10)
        // Everything that arrived while paused was drained, but for the batch added by the final read.
        #expect(source.waiting <= 10)
        #expect(loop.eventsFolded >= (pausedPumps - 1) * 10)
        #expect(loop.aggregator.model.ui.paused)
        #expect(screen.frames.last.map { $0.text.contains("PAUSED") } == true)
    }

    @Test func sourceNoteReachesTheStatusLine() {
        let clock = FakeClock()
        let screen = FakeScreen(width: 120, height: 40, clock: clock, script: [(30, .char("q"))])
        let source = FakeSource(waiting: 0)
        source.note = "file truncated: 123 bytes lost"
        let loop = makeLoop(screen: screen, source: source, clock: clock)
        _ = loop.run()
        #expect(loop.aggregator.model.status.warning == "file truncated: 123 bytes lost")
        let top = screen.frames.last.map { String($0.text.split(separator: "\n").first ?? "") } ?? ""
        #expect(top.contains("file truncated"), "\(top)")
    }
}
