import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

/// The kernel backend, only where the detection rule finds one. On stock Linux the selector does
/// not even probe, so this suite is skipped, visibly, with the selector's reason; the contract cases
/// of `ConformanceTests` then run on the emulation only.
@Suite(.enabled(if: ConformanceBackends.kernelDetected, ConformanceBackends.kernelAbsence))
struct KernelConformanceTests {
    @Test func probeAnswersWhenAKernelBackendIsDetected() throws {
        let kernel = try #require(ConformanceBackends.kernel)
        let k = try kernel.make()
        #expect(k.kind == .kernel)
        #expect(throws: Errno.EINVAL) { try k.ctl(UMCGCommand(rawValue: 0)) }
        #expect(throws: Errno.EAGAIN) { try k.ctl(.wake) }
    }

    @Test func theContractCasesRunOnTheKernel() {
        #expect(ConformanceBackends.available.map(\.kind) == [.emulated, .kernel])
    }
}
