import Testing
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGBench

@Suite struct PolicyTests {
    @Test func aRefusedPolicyIsOneLineNamingThePolicyAndTheErrno() throws {
        let line = try #require(PolicyCheck.refusal(.fifo, probe: { _ in .EPERM }))
        #expect(line.hasPrefix("--policy fifo: cannot run under SCHED_FIFO (EPERM"), "\(line)")
        #expect(!line.contains("\n"))
        #expect(PolicyCheck.refusal(.fifo, probe: { _ in nil }) == nil)
        #expect(PolicyCheck.refusal(.other) == nil)
    }

    @Test func theProbeReportsWhatTheKernelSaid() throws {
        // Root here can have SCHED_FIFO; without the privilege the kernel says EPERM. Either way
        // the probe's answer must match what the calling thread's own attempt would get, and the
        // calling thread's policy is left alone.
        let before = try SchedulingPolicy.current()
        let answer = PolicyCheck.probe(.fifo)
        #expect(answer == nil || answer == .EPERM, "\(String(describing: answer))")
        #expect(try SchedulingPolicy.current() == before)
    }

    @Test func baselineThreadsRunUnderThePolicyOrFailWithIt() throws {
        let granted = PolicyCheck.probe(.fifo) == nil
        if granted {
            let r = try FutexPingPong.run(placement: .sameCPU, seconds: 0.02, policy: .fifo)
            #expect(r.cycles > 0)
        } else {
            #expect(throws: BaselineError.policyFailed(.fifo, .EPERM)) {
                try FutexPingPong.run(placement: .sameCPU, seconds: 0.02, policy: .fifo)
            }
        }
    }

    @Test(.enabled(if: PolicyCheck.probe(.fifo) == nil, "SCHED_FIFO needs root, CAP_SYS_NICE or RLIMIT_RTPRIO"))
    func theYieldHandoffCompletesUnderFIFO() throws {
        let r = try UMCGPingPong.run(handoff: .yield, placement: .sameCPU, seconds: 0.05, policy: .fifo)
        #expect(r.cycles > 0)
    }

    @Test func theYieldHandoffAlsoCompletesUnderTheDefaultPolicy() throws {
        // Under SCHED_OTHER a yield may not run the peer; the bounded yields then fall back to FUTEX_WAIT.
        let r = try UMCGPingPong.run(handoff: .yield, placement: .sameCPU, seconds: 0.05)
        #expect(r.cycles > 0)
    }
}
