import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

/// The kernel backend, only where the detection rule finds one (never on stock Linux: there the
/// selector does not even probe).
@Suite struct KernelConformanceTests {
    @Test func probeAnswersWhenAKernelBackendIsDetected() throws {
        let selection = try BackendSelector().select(.auto)
        guard selection.kind == "kernel", let nr = selection.syscallNumber else {
            #expect(selection.kind == "emulated")
            return
        }
        let k = KernelBackend(syscallNumber: nr)
        #expect(throws: Errno.EINVAL) { try k.ctl(UMCGCommand(rawValue: 0)) }
        #expect(throws: Errno.EAGAIN) { try k.ctl(.wake) }
    }
}
