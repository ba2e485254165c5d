import Synchronization
import Testing
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGBench

/// Records every call and returns scripted results: cycles = 1000 × (call number), 1 s each.
final class RecordingRunner: BenchRunner {
    let calls = ThreadLock<[BenchCase]>([])
    let failing: Set<BenchCase>

    init(failing: Set<BenchCase> = []) { self.failing = failing }

    func run(_ benchCase: BenchCase, seconds: Double) throws -> BenchRun {
        let n = calls.withLock { calls in
            calls.append(benchCase)
            return calls.count
        }
        if failing.contains(benchCase) { throw Errno.ENOSYS }
        return BenchRun(
            result: PingPongResult(
                cycles: UInt64(1000 * n), elapsedNanos: UInt64(seconds * 1e9), cpuNanos: 500_000_000 * UInt64(n),
                cpus: [Int32(n % 2), 1]),
            tracedEvents: benchCase.tracing ? 10 : 0)
    }
}

@Suite struct BenchHarnessTests {
    @Test func interleavesRoundsThenPlacementsThenMethods() {
        let plan = BenchPlan(seconds: 1, rounds: 2)
        let runner = RecordingRunner()
        _ = BenchHarness.run(plan, runner: runner)
        let labels = runner.calls.withLock { $0.map(\.description) }
        let oneRound = [
            "condvar same-cpu", "futex same-cpu", "umcg-futex same-cpu", "umcg-adaptive same-cpu",
            "condvar cross-cpu", "futex cross-cpu", "umcg-futex cross-cpu", "umcg-adaptive cross-cpu",
        ]
        #expect(labels == oneRound + oneRound)
    }

    @Test func methodOrderIsFixedAndTracingAddsTracedUMCGCases() {
        let plan = BenchPlan(placements: [.crossCPU], methods: [.umcg, .futex], handoffs: [.adaptive], tracing: true)
        #expect(plan.cases.map(\.label) == ["futex", "umcg-adaptive", "umcg-adaptive +trace"])
        #expect(plan.cases.allSatisfy { $0.placement == .crossCPU })
        #expect(BenchCase(method: .futex, placement: .sameCPU, handoff: .adaptive, tracing: true).handoff == nil)
    }

    @Test func aggregatesSumRoundsAndDeriveRates() throws {
        // One placement, one method, three rounds: calls 1, 2, 3 → 1000, 2000, 3000 cycles in 0.5 s each.
        let plan = BenchPlan(seconds: 0.5, rounds: 3, placements: [.sameCPU], methods: [.futex])
        let report = BenchHarness.run(plan, runner: RecordingRunner())
        let a = try #require(report.result(.futex, .sameCPU))
        #expect(a.cycles == 6000)
        #expect(a.elapsedNanos == 1_500_000_000)
        #expect(a.cyclesPerSecond == 4000)
        #expect(a.roundsCyclesPerSecond == [2000, 4000, 6000])
        #expect(a.nanosPerSwitch == 1_500_000_000.0 / 12000)
        #expect(a.cpuSeconds == 3.0)
        #expect(a.roundsCPUs == [[1, 1], [0, 1], [1, 1]])
        #expect(a.cpusSeen == [0, 1])
    }

    @Test func ratiosCompareCyclesPerSecond() throws {
        // Per round: condvar (call k), futex (k+1), umcg-futex (k+2): rates 1000k, 1000(k+1), ...
        let plan = BenchPlan(seconds: 1, rounds: 1, placements: [.sameCPU], handoffs: [.futex])
        let report = BenchHarness.run(plan, runner: RecordingRunner())
        let r = Dictionary(
            uniqueKeysWithValues: report.ratios.map { ("\($0.placement?.rawValue ?? "all") \($0.name)", $0.value) })
        #expect(r["same-cpu futex/condvar"] == 2.0)
        #expect(r["same-cpu umcg-futex/futex"] == 1.5)
        #expect(r["same-cpu umcg-futex/condvar"] == 3.0)
        #expect(r["all best umcg/best condvar"] == 3.0)
        #expect(r["all best futex/best condvar"] == 2.0)
        #expect(r["same-cpu umcg-adaptive/futex"] == nil)
    }

    @Test func aFailingCaseIsSkippedOnceAndNotRetried() {
        let bad = BenchCase(method: .umcg, placement: .sameCPU, handoff: .futex)
        let plan = BenchPlan(seconds: 1, rounds: 3, placements: [.sameCPU], handoffs: [.futex])
        let runner = RecordingRunner(failing: [bad])
        var progress: [BenchProgress] = []
        let report = BenchHarness.run(plan, runner: runner) { progress.append($0) }
        #expect(runner.calls.withLock { $0.filter { $0 == bad }.count } == 1)
        #expect(report.skipped == [BenchSkip(benchCase: bad, reason: "ENOSYS")])
        #expect(report.results.map(\.benchCase.label) == ["condvar", "futex"])
        #expect(report.results.allSatisfy { $0.roundsCyclesPerSecond.count == 3 })
        #expect(progress.count == 7)
        #expect(progress.last?.steps == 9)
    }

    @Test func realRunnerMeasuresBaselinesAndReportsMissingUMCG() throws {
        let runner = StandardBenchRunner(umcg: { _, _, _, _ in throw Errno.ENOSYS })
        let run = try runner.run(BenchCase(method: .futex, placement: .sameCPU), seconds: 0.02)
        #expect(run.result.cycles > 0)
        #expect(throws: Errno.ENOSYS) { try runner.run(BenchCase(method: .umcg, placement: .sameCPU), seconds: 0.02) }
    }

    @Test func tracedRunsDrainTheHub() throws {
        // A fake UMCG that pushes 5,000 events from its own thread into the hub it is given.
        let runner = StandardBenchRunner(umcg: { _, _, _, hub in
            let ring = try #require(hub).makeRing(label: "fake")
            for i in 0..<5000 { _ = ring.push(TraceEvent(timestamp: UInt64(i), kind: .switchTo)) }
            return PingPongResult(cycles: 1, elapsedNanos: 1, cpuNanos: 1, cpus: [0, 0])
        })
        let run = try runner.run(BenchCase(method: .umcg, placement: .sameCPU, tracing: true), seconds: 0.01)
        #expect(run.tracedEvents + run.droppedEvents == 5000)
        #expect(run.droppedEvents == 0)
    }
}
