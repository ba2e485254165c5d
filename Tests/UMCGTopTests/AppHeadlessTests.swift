import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct AppHeadlessTests {
    @Test func jsonSummaryAtTheEnd() throws {
        let clock = FakeClock()
        let source = FakeSource(waiting: 250)
        var out: [String] = []
        var runner = HeadlessRunner(
            source: source, aggregator: Aggregator(info: source.info, mode: .live, options: DashboardOptions()),
            duration: 0.5, interval: 1, json: true, refreshMillis: 100,
            clock: {
                clock.now += 10_000_000
                return clock.now
            }, pendingSignal: { nil },
            output: {
                out.append($0)
                return true
            }, sleep: { _ in })
        #expect(runner.run() == 0)
        #expect(source.stopped == 1)
        #expect(out.count == 1)
        let text = try #require(out.first)
        #expect(text.hasPrefix("{\"backend\":\"emulated\""))
        #expect(text.contains("\"switches\":250"))
        #expect(text.contains("\"events_seen\":250"))
        #expect(text.contains("\"method\":\"futex\""))
        #expect(text.contains("\"cycles_per_sec\":500.0"))
        #expect(text.contains("\"fake\":true"))
        #expect(text.hasSuffix("}\n"))
    }

    @Test func textFramesEveryIntervalAndSignalStatus() {
        let clock = FakeClock()
        let source = FakeSource(waiting: 0)
        var out: [String] = []
        var calls = 0
        var runner = HeadlessRunner(
            source: source, aggregator: Aggregator(info: source.info, mode: .live, options: DashboardOptions()),
            duration: nil, interval: 0.2, json: false, refreshMillis: 100,
            clock: {
                clock.now += 10_000_000
                return clock.now
            },
            pendingSignal: {
                calls += 1
                return calls > 120 ? 2 : nil
            },
            output: {
                out.append($0)
                return true
            }, sleep: { _ in })
        #expect(runner.run() == 130)
        #expect(source.stopped == 1)
        #expect(out.count >= 4)
        #expect(out.allSatisfy { $0.hasPrefix("--- umcgtop t=") })
    }

    @Test func closedStdoutEndsTheRunLikeSIGPIPE() {
        let clock = FakeClock()
        let source = FakeSource(waiting: 0)
        var writes = 0
        var runner = HeadlessRunner(
            source: source, aggregator: Aggregator(info: source.info, mode: .live, options: DashboardOptions()),
            duration: nil, interval: 0.1, json: false, refreshMillis: 100,
            clock: {
                clock.now += 10_000_000
                return clock.now
            }, pendingSignal: { nil },
            output: { _ in
                writes += 1
                return writes < 3
            }, sleep: { _ in })
        #expect(runner.run() == HeadlessRunner.brokenPipeStatus)
        #expect(writes == 3)  // no write after the failed one
        #expect(source.stopped == 1)
    }
}
