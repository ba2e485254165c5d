import Foundation
import Testing
import UMCGBench
import UMCGEngine
import UMCGSystem

@testable import UMCGTop

/// `bench --spin-nanos` reaches the emulation's options; the park counters reach the output.
@Suite struct BenchSpinNanosTests {
    @Test func theOptionSetsThePlanAndTheDefaultIsTheEmulations() throws {
        #expect(try BenchCommand.parse([]).runPlan.spinNanos == EmulatedBackend.Options.defaultSpinNanos)
        #expect(try BenchCommand.parse(["--spin-nanos", "50000"]).runPlan.spinNanos == 50_000)
        #expect(try BenchCommand.parse(["--spin-nanos", "0"]).runPlan.spinNanos == 0)
        #expect(try BenchCommand.parse(["--spin-nanos", "10000000"]).runPlan.spinNanos == 10_000_000)
        for bad in ["-1", "10000001", "lots"] {
            #expect(throws: (any Error).self) { try BenchCommand.parse(["--spin-nanos", bad]) }
        }
        #expect(try BenchCommand.parse([]).runPlan.spinYields == 0)
        #expect(try BenchCommand.parse(["--spin-yields", "8"]).runPlan.spinYields == 8)
        for bad in ["-1", "10001", "some"] {
            #expect(throws: (any Error).self) { try BenchCommand.parse(["--spin-yields", bad]) }
        }
    }

    @Test func thePingPongBackendBuildsTheEmulationWithTheBudget() throws {
        let backend = try #require(
            try PingPongBackend.emulated(spinNanos: 123_456, spinYields: 3).make(.adaptive) as? EmulatedBackend)
        #expect(backend.options.spinNanos == 123_456)
        #expect(backend.options.spinYields == 3)
        #expect(backend.options.handoff == .adaptive)
        let selected = PingPongBackend.selected(
            BackendSelection(kind: .emulated, reason: "test", syscallNumber: nil), spinNanos: 77_000)
        let made = try #require(try selected.make(.adaptive) as? EmulatedBackend)
        #expect(made.options.spinNanos == 77_000)
    }

    @Test func theEmulationRefusesABudgetBeyondTheMaximum() {
        let tooLong = EmulatedBackend.Options(spinNanos: EmulatedBackend.Options.maxSpinNanos + 1)
        #expect(throws: Errno.EINVAL) { try EmulatedBackend(options: tooLong) }
        var yields = EmulatedBackend.Options()
        yields.spinYields = EmulatedBackend.Options.maxSpinYields + 1
        #expect(throws: Errno.EINVAL) { try EmulatedBackend(options: yields) }
        yields.spinYields = -1
        #expect(throws: Errno.EINVAL) { try EmulatedBackend(options: yields) }
    }

    static func report() -> BenchReport {
        let c = BenchCase(method: .umcg, placement: .crossCPU, handoff: .adaptive)
        var a = BenchAggregate(benchCase: c)
        a.add(
            BenchRun(
                result: PingPongResult(
                    cycles: 1000, elapsedNanos: 1_000_000_000, cpuNanos: 1, cpus: [0, 1],
                    parks: ParkCounts(immediate: 100, spun: 1700, yielded: 0, slept: 200))))
        var plan = BenchPlan(seconds: 1, rounds: 1, placements: [.crossCPU], methods: [.umcg], handoffs: [.adaptive])
        plan.spinNanos = 20_000
        return BenchReport(plan: plan, results: [a], skipped: [])
    }

    static let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux", cpus: 2)

    @Test func textShowsTheBudgetAndEachRoundsParkEnds() {
        let text = BenchOutput.text(Self.report(), environment: Self.env)
        #expect(text.contains("; adaptive spin 20000 ns"))
        #expect(text.contains("Park ends per round"))
        // 100/1700/0/200 of 2000 parks, 2 parks per cycle.
        #expect(text.contains("round 1:      1000  5.0/85.0/0.0/10.0  2.00"), "\(text)")
    }

    @Test func jsonCarriesTheBudgetAndTheRoundsParks() throws {
        let text = BenchOutput.json(Self.report(), environment: Self.env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["spin_nanos"] as? Int == 20_000)
        let row = try #require((object["results"] as? [[String: Any]])?.first)
        let parks = try #require(row["rounds_parks"] as? [[String: Int]])
        #expect(parks == [["immediate": 100, "spun": 1700, "yielded": 0, "slept": 200]])
    }

    @Test func rowsWithoutCountsPrintNoParkSection() throws {
        var report = Self.report()
        var a = BenchAggregate(benchCase: BenchCase(method: .futex, placement: .crossCPU))
        a.add(BenchRun(result: PingPongResult(cycles: 10, elapsedNanos: 1_000_000_000, cpuNanos: 1, cpus: [0, 1])))
        report.results = [a]
        #expect(!BenchOutput.text(report, environment: Self.env).contains("Park ends"))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(BenchOutput.json(report, environment: Self.env).rendered.utf8))
                as? [String: Any])
        #expect((object["results"] as? [[String: Any]])?.first?["rounds_parks"] == nil)
    }
}
