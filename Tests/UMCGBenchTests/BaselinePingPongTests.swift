import Testing
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGBench

/// Runs a ping-pong and checks it returned (threads joined) within `limit` seconds of wall time.
/// A hang cannot be cancelled from here (blocked threads), but a slow stop or join fails the test.
private func timed(
    _ limit: Double, _ body: () throws -> PingPongResult
) throws -> PingPongResult {
    let start = SystemClock.monotonicNanos()
    let result = try body()
    let took = Double(SystemClock.monotonicNanos() - start) / 1e9
    #expect(took < limit, "returned after \(took) s")
    return result
}

@Suite struct BaselinePingPongTests {
    static let cpus = CPU.count

    @Test(arguments: [Placement.sameCPU, .crossCPU, .unpinned])
    func futexShortRunCompletes(placement: Placement) throws {
        if placement == .crossCPU, Self.cpus < 2 {
            #expect(throws: BaselineError.notEnoughCPUs(available: Self.cpus)) {
                try FutexPingPong.run(placement: placement, seconds: 0.05)
            }
            return
        }
        let r = try timed(10) { try FutexPingPong.run(placement: placement, seconds: 0.05) }
        #expect(r.cycles > 0)
        #expect(r.elapsedNanos >= 50_000_000)
        #expect(r.elapsedNanos < 10_000_000_000)
        #expect(r.cpuNanos > 0)
        #expect(r.cpus.count == 2)
        try Self.checkPlacement(placement, r.cpus)
    }

    @Test(arguments: [Placement.sameCPU, .crossCPU, .unpinned])
    func condvarShortRunCompletes(placement: Placement) throws {
        if placement == .crossCPU, Self.cpus < 2 {
            #expect(throws: BaselineError.notEnoughCPUs(available: Self.cpus)) {
                try CondvarPingPong.run(placement: placement, seconds: 0.05)
            }
            return
        }
        let r = try timed(10) { try CondvarPingPong.run(placement: placement, seconds: 0.05) }
        #expect(r.cycles > 0)
        #expect(r.elapsedNanos >= 50_000_000)
        #expect(r.cpuNanos > 0)
        try Self.checkPlacement(placement, r.cpus)
    }

    static func checkPlacement(_ placement: Placement, _ cpus: [Int32]) throws {
        let plan = try CPUPlan.make(for: placement)
        switch placement {
        case .sameCPU:
            #expect(cpus[0] == cpus[1])
            #expect(cpus[0] == plan.main)
        case .crossCPU:
            #expect(cpus[0] != cpus[1])
            #expect(cpus == [plan.main ?? -2, plan.peer ?? -2])
        case .unpinned:
            #expect(cpus.allSatisfy { $0 >= 0 && Int($0) < max(Self.cpus, 64) })
        }
    }

    @Test func stopRequestEndsALongRunEarly() throws {
        let control = PingPongControl()
        let plan = try CPUPlan.make(for: .sameCPU)
        // The run gets its own thread, not a task: in a parallel test run other tests' blocking
        // work can hold the cooperative pool's threads for many seconds.
        let outcome = ThreadLock<(result: PingPongResult?, endedAt: UInt64)>((nil, 0))
        let thread = try OSThread(name: "test-thread") {
            let r = try? FutexPingPong.run(plan: plan, seconds: 600, control: control)
            let end = SystemClock.monotonicNanos()
            outcome.withLock { $0 = (r, end) }
        }
        // Wait (with a generous deadline) until cycles flow, then ask it to stop.
        #expect(waitUntil(seconds: 60) { control.publishedCycles > 0 })
        let stoppedAt = SystemClock.monotonicNanos()
        control.requestStop()
        thread.join()
        let (result, endedAt) = outcome.withLock { $0 }
        let r = try #require(result)
        #expect(r.cycles >= 1)
        #expect(r.cycles == control.publishedCycles)
        // Far below the 600 s it was asked to run: the flag is checked every 64 cycles.
        #expect(endedAt - stoppedAt < 30_000_000_000)
    }

    @Test func badDurationIsATypedError() {
        #expect(throws: BaselineError.invalidDuration(0)) { try FutexPingPong.run(placement: .sameCPU, seconds: 0) }
        #expect(throws: BaselineError.self) { try CondvarPingPong.run(placement: .sameCPU, seconds: .nan) }
    }

    @Test func plans() throws {
        #expect(try CPUPlan.make(for: .sameCPU, cpuCount: 2) == CPUPlan(main: 1, peer: 1))
        #expect(try CPUPlan.make(for: .crossCPU, cpuCount: 2) == CPUPlan(main: 0, peer: 1))
        #expect(try CPUPlan.make(for: .crossCPU, cpuCount: 4, preferredCPU: 0) == CPUPlan(main: 1, peer: 0))
        #expect(try CPUPlan.make(for: .unpinned, cpuCount: 1) == CPUPlan(main: nil, peer: nil))
        #expect(throws: BaselineError.notEnoughCPUs(available: 1)) { try CPUPlan.make(for: .crossCPU, cpuCount: 1) }
        #expect(throws: BaselineError.noSuchCPU(5, available: 2)) {
            try CPUPlan.make(for: .sameCPU, cpuCount: 2, preferredCPU: 5)
        }
    }

    @Test func pinningToAMissingCPUFailsCleanly() {
        #expect(throws: BaselineError.self) {
            try FutexPingPong.run(plan: CPUPlan(main: 0, peer: 4000), seconds: 0.05, control: PingPongControl())
        }
        #expect(throws: BaselineError.self) {
            try CondvarPingPong.run(plan: CPUPlan(main: 4000, peer: 0), seconds: 0.05, control: PingPongControl())
        }
    }
}
