import Synchronization
import Testing
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGBench

/// A backend that says it is the kernel and forwards every call to an emulation, counting them:
/// the ping-pong takes the path the kernel backend takes (`any UMCGBackend`, no emulation-only API).
final class KernelShapedBackend: UMCGBackend, Sendable {
    let inner: EmulatedBackend
    let switches = Atomic<Int>(0)
    let calls = Atomic<Int>(0)

    init(_ handoff: HandoffMode = .futex) throws {
        inner = try EmulatedBackend(options: .init(handoff: handoff, sliceNanos: UInt64.max / 2, maxWorkers: 4))
    }

    var kind: BackendKind { .kernel }

    func ctl(
        flags: UInt64, cmd: UMCGCommand, nextTid: Int32, absTimeout: UInt64, events: UnsafeMutablePointer<UInt64>?,
        eventCount: Int32
    ) throws(Errno) {
        // Relaxed: counters read after the run's joins.
        calls.add(1, ordering: .relaxed)
        if cmd == .ctxSwitch { switches.add(1, ordering: .relaxed) }
        try inner.ctl(
            flags: flags, cmd: cmd, nextTid: nextTid, absTimeout: absTimeout, events: events, eventCount: eventCount)
    }

    func enterBlocking() throws(Errno) { try inner.enterBlocking() }
    func leaveBlocking() throws(Errno) { try inner.leaveBlocking() }
    func checkpoint() throws(Errno) -> Bool { try inner.checkpoint() }
}

@Suite struct BenchBackendTests {
    @Test func pingPongRunsOverAnyBackend() throws {
        let backend = try KernelShapedBackend()
        let control = PingPongControl()
        let erased: any UMCGBackend = backend
        let r = try UMCGPingPong.run(backend: erased, placement: .sameCPU, seconds: 0.05, control: control)
        #expect(r.cycles > 0)
        // Every cycle's CTX_SWITCH went through the backend it was given (plus the final one).
        #expect(UInt64(backend.switches.load(ordering: .relaxed)) == r.cycles + 1)
        // Progress reaches the control (the watchdog's view), at most 63 cycles behind.
        #expect(control.publishedCycles > 0)
        #expect(control.publishedCycles <= r.cycles)
    }

    @Test func kernelPlanRunsOneLabelledUMCGCasePerPlacement() {
        let plan = BenchPlan(handoffs: [.futex, .adaptive], tracing: true, umcgBackend: .kernel)
        let umcg = plan.cases.filter { $0.method == .umcg }
        #expect(
            umcg.map(\.description) == [
                "umcg-kernel same-cpu", "umcg-kernel +trace same-cpu", "umcg-kernel cross-cpu",
                "umcg-kernel +trace cross-cpu",
            ])
        #expect(umcg.allSatisfy { $0.backend == .kernel && $0.handoff == nil })
        let emulated = BenchPlan().cases.filter { $0.method == .umcg }
        #expect(emulated.allSatisfy { $0.backend == .emulated && $0.handoff != nil })
        #expect(BenchPlan().cases.filter { $0.method != .umcg }.allSatisfy { $0.backend == nil })
    }

    @Test func benchMeasuresTheSelectedBackend() throws {
        let made = Atomic<Int>(0)
        let source = PingPongBackend(kind: .kernel) { h in
            // Relaxed: read after the harness returned.
            made.add(1, ordering: .relaxed)
            return try KernelShapedBackend(h)
        }
        let plan = BenchPlan(
            seconds: 0.05, rounds: 1, placements: [.sameCPU], methods: [.umcg], umcgBackend: .kernel)
        let report = BenchHarness.run(plan, runner: StandardBenchRunner(backend: source))
        #expect(report.skipped.isEmpty)
        let row = try #require(report.results.first)
        #expect(report.results.count == 1)
        #expect(row.benchCase.backend == .kernel)
        #expect(row.benchCase.label == "umcg-kernel")
        #expect(row.cycles > 0)
        #expect(made.load(ordering: .relaxed) == 1)
        // The ratio names carry the row's label.
        let futexPlan = BenchPlan(seconds: 0.05, rounds: 1, placements: [.sameCPU], methods: [.futex, .umcg])
        #expect(futexPlan.umcgBackend == .emulated)
    }

    @Test func aRunnerRefusesACaseOfAnotherBackend() {
        let runner = StandardBenchRunner(backend: .emulated)
        #expect(throws: BenchRunError.self) {
            try runner.run(BenchCase(method: .umcg, placement: .sameCPU, backend: .kernel), seconds: 0.01)
        }
    }

    @Test func liveBaselinesRunUMCGOnTheGivenBackend() throws {
        let made = Atomic<Int>(0)
        let source = PingPongBackend(kind: .kernel) { h in
            // Relaxed: read after stop().
            made.add(1, ordering: .relaxed)
            return try KernelShapedBackend(h)
        }
        let live = try LiveBaselines(configuration: .init(methods: [.umcg], sliceSeconds: 0.02, umcgBackend: source))
        #expect(live.umcgBackend == .kernel)
        try live.start()
        #expect(waitUntil(seconds: 20) { (live.counters().first?.cycles ?? 0) > 0 })
        live.stop()
        #expect(made.load(ordering: .relaxed) >= 1)
        #expect(live.failures().isEmpty)
        #expect(try LiveBaselines().umcgBackend == .emulated)
    }
}

@Suite struct BenchWatchdogTests {
    @Test func aStuckPeerIsReportedAndTheOtherMethodsFinish() {
        let plan = BenchPlan(
            seconds: 0.05, rounds: 2, placements: [.sameCPU], methods: [.condvar, .futex, .umcg], handoffs: [.futex])
        // 3 s: a healthy run under ThreadSanitizer on a loaded machine must not look stuck.
        let runner = StandardBenchRunner(stuckSeconds: 3, simulateStuck: .futex)
        let report = BenchHarness.run(plan, runner: runner)
        #expect(report.stuck.map(\.benchCase.description) == ["futex same-cpu"])
        #expect(report.stuck.first?.reason.hasPrefix("no progress for ") == true)
        // Abandoned once, not run again in round 2; the others ran both rounds.
        #expect(report.results.map(\.benchCase.description) == ["condvar same-cpu", "umcg-futex same-cpu"])
        #expect(report.results.allSatisfy { $0.roundsCyclesPerSecond.count == 2 })
    }

    @Test func aRunThatEndsIsNotStuck() throws {
        let value = try BenchWatchdog.run(stuckNanos: 60_000_000_000) { control in
            control.publish(1)
            return 42
        }
        #expect(value == 42)
    }

    @Test func errorsOfTheRunPassThrough() {
        #expect(throws: Errno.ENOSYS) {
            try BenchWatchdog.run(stuckNanos: 60_000_000_000) { _ -> Int in throw Errno.ENOSYS }
        }
    }

    @Test func silenceIsStuck() {
        let release = Atomic<Bool>(false)
        #expect(throws: BenchStuck.self) {
            try BenchWatchdog.run(stuckNanos: 100_000_000) { _ -> Int in
                // Acquiring: pairs with the releasing store after the watchdog gave up.
                while !release.load(ordering: .acquiring) {
                    var word: UInt32 = 0
                    _ = try? Futex.wait(&word, expected: 0, timeout: 5_000_000)
                }
                return 0
            }
        }
        // Releasing: lets the abandoned thread end.
        release.store(true, ordering: .releasing)
    }

    @Test func decimalsPrintShort() {
        #expect(BenchWatchdog.decimal(2) == "2")
        #expect(BenchWatchdog.decimal(0.5) == "0.5")
        #expect(BenchWatchdog.decimal(1.04) == "1")
    }
}
