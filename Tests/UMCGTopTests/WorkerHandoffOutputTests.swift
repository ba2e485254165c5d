import Foundation
import Testing
import UMCGBench
import UMCGEngine

@testable import UMCGTop

@Suite struct WorkerHandoffOutputTests {
    static let rows = [
        WorkerHandoffBench.Row(
            mode: .yield, tracing: false, cyclesPerSecond: 100_000, rounds: [100_000], directShare: 1),
        WorkerHandoffBench.Row(
            mode: .handoff, tracing: false, cyclesPerSecond: 150_000, rounds: [150_000], directShare: 0.97),
        WorkerHandoffBench.Row(mode: .yield, tracing: true, cyclesPerSecond: 80_000, rounds: [80_000], directShare: 1),
        WorkerHandoffBench.Row(
            mode: .handoff, tracing: true, cyclesPerSecond: 100_000, rounds: [100_000], directShare: 0.97),
    ]

    @Test func jsonCarriesEveryRowAndTheRatios() throws {
        let text = WorkerHandoffOutput.json(Self.rows, seconds: 0.5, rounds: 1, handoff: .futex).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["mode"] as? String == "worker-handoff")
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["method"] as? String } == ["yield", "handoff", "yield", "handoff"])
        #expect(results.map { $0["tracing"] as? Bool } == [false, false, true, true])
        #expect(object["ratio_handoff_to_yield"] as? Double == 1.5)
        #expect(object["ratio_handoff_to_yield_traced"] as? Double == 1.25)
    }

    @Test func textShowsNanosPerSwitchAndTheRatio() {
        let text = WorkerHandoffOutput.text(Array(Self.rows.prefix(2)), seconds: 0.5, rounds: 1, handoff: .futex)
        #expect(text.contains("handoff / yield: 1.50x"))
        #expect(!text.contains("traced"))
        // 150 k cycles/s = 300 k switches/s = 3,333 ns per switch.
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("handoff ") && $0.contains(" 3333 ") })
    }

    @Test func parsesTheFlag() throws {
        #expect(try BenchCommand.parse(["--worker-handoff"]).workerHandoff)
        #expect(try !BenchCommand.parse([]).workerHandoff)
    }
}
