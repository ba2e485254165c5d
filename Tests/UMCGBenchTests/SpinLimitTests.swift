import Testing
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGBench

@Suite struct SpinLimitTests {
    @Test func theLimitRunsLastInCrossCPURoundsOnly() {
        let plan = BenchPlan(seconds: 1, rounds: 2, methods: [.futex, .umcg], handoffs: [.adaptive], limit: true)
        let runner = RecordingRunner()
        _ = BenchHarness.run(plan, runner: runner)
        let labels = runner.calls.withLock { $0.map(\.description) }
        let oneRound = [
            "futex same-cpu", "umcg-adaptive same-cpu",
            "futex cross-cpu", "umcg-adaptive cross-cpu", "spin cross-cpu",
        ]
        #expect(labels == oneRound + oneRound)
        #expect(BenchPlan(placements: [.sameCPU], limit: true).cases.allSatisfy { $0.method != .spin })
        #expect(BenchPlan(placements: [.crossCPU]).cases.allSatisfy { $0.method != .spin })
    }

    @Test func umcgRowsAreReportedAgainstTheLimit() throws {
        // One round, cross-cpu: futex (call 1), umcg-adaptive (2), umcg-adaptive +trace (3), spin (4).
        let plan = BenchPlan(
            rounds: 1, placements: [.crossCPU], methods: [.futex, .umcg], handoffs: [.adaptive], tracing: true,
            limit: true)
        let report = BenchHarness.run(plan, runner: RecordingRunner())
        let umcg = try #require(report.result(.umcg, .crossCPU, handoff: .adaptive))
        let spin = try #require(report.result(.spin, .crossCPU))
        #expect(report.ratioToLimit(umcg) == 0.5)
        #expect(report.ratioToLimit(spin) == nil)
        let r = Dictionary(uniqueKeysWithValues: report.ratios.map { ($0.name, $0.value) })
        #expect(r["umcg-adaptive/spin"] == 0.5)
        #expect(r["umcg-adaptive traced/spin"] == 0.75)
        // The limit is a reference: best-vs-best ratios never pick it.
        #expect(r["best umcg/best futex"] == 2.0)
    }

    @Test(.enabled(if: CPU.count >= 2, "the spin limit needs two CPUs"))
    func spinPingPongCompletesAcrossCPUs() throws {
        let result = try SpinPingPong.run(placement: .crossCPU, seconds: 0.05)
        #expect(result.cycles > 0)
        #expect(result.elapsedNanos > 0)
        #expect(Set(result.cpus).count == 2, "cpus: \(result.cpus)")
        let run = try StandardBenchRunner().run(BenchCase(method: .spin, placement: .crossCPU), seconds: 0.02)
        #expect(run.result.cycles > 0)
    }

    @Test func spinRefusesToRunOnOneCPU() {
        #expect(throws: BaselineError.spinNeedsCrossCPU(.sameCPU)) {
            try SpinPingPong.run(placement: .sameCPU, seconds: 0.01)
        }
        #expect(throws: BaselineError.spinNeedsCrossCPU(.unpinned)) {
            try SpinPingPong.run(placement: .unpinned, seconds: 0.01)
        }
        #expect(!BaselineError.spinNeedsCrossCPU(.sameCPU).description.contains("\n"))
    }

    @Test func benchMethodMapsTheBaselines() {
        for m in BaselineMethod.allCases {
            #expect(BenchMethod(m).baseline == m)
            #expect(BenchMethod(m).description == m.description)
        }
        #expect(BenchMethod.spin.baseline == nil)
    }
}
