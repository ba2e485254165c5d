import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGBench
@testable import UMCGEngine

@Suite struct UMCGPingPongTests {
    @Test(arguments: HandoffMode.allCases, [Placement.sameCPU, .unpinned])
    func shortRunCompletesWithCycles(handoff: HandoffMode, placement: Placement) throws {
        let r = try UMCGPingPong.run(handoff: handoff, placement: placement, seconds: 0.1)
        #expect(r.cycles > 0)
        #expect(r.elapsedNanos >= 100_000_000)
        #expect(r.cpus.count == 2)
        if placement == .sameCPU, CPU.count > 0 {
            #expect(r.cpus[0] == r.cpus[1])
        }
        print("umcg pingpong \(handoff) \(placement): \(r.cycles) cycles, \(Int(r.cyclesPerSecond))/s cpus \(r.cpus)")
    }

    @Test(.enabled(if: CPU.count >= 2, "cross-CPU placement needs 2 CPUs; this process may use 1"))
    func crossCPUUsesTwoCPUs() throws {
        let r = try UMCGPingPong.run(handoff: .adaptive, placement: .crossCPU, seconds: 0.1)
        #expect(r.cycles > 0)
        #expect(r.cpus[0] != r.cpus[1])
        print("umcg pingpong adaptive cross: \(Int(r.cyclesPerSecond))/s")
    }

    @Test func tracingPushesTwoEventsPerCycle() throws {
        let hub = TraceHub(ringCapacity: 1 << 20)
        let r = try UMCGPingPong.run(handoff: .futex, placement: .sameCPU, seconds: 0.05, hub: hub)
        var switches = 0
        var waits = 0
        hub.drain { e in
            if e.kind == .switchTo { switches += 1 }
            if e.kind == .wait { waits += 1 }
        }
        let dropped = Int(hub.dropped)
        #expect(UInt64(waits + dropped / 2) >= r.cycles)
        #expect(switches >= waits)
    }

    @Test func rejectsBadDuration() {
        #expect(throws: Errno.EINVAL) { try UMCGPingPong.run(handoff: .futex, placement: .unpinned, seconds: 0) }
    }
}
