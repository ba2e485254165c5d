import Testing
import UMCGSystem

@testable import UMCGEngine

/// The engine over a kernel backend whose syscall fails every call (injected; no real syscall):
/// threads report failure, nothing hangs, stop joins everything.
@Suite struct EngineFailureTests {
    @Test func failingKernelBackendFailsEveryThreadCleanly() throws {
        let probe: SyscallInvoker = { _, _, cmd, _, _, _, _ in
            // Passes the detection probe (cmd 0 → EINVAL, WAKE → EAGAIN), then fails everything.
            cmd == 4 ? -11 : -22
        }
        let host = HostInfo(sysname: "Nanos", release: "test", hostname: "h", cpus: 2)
        let selector = BackendSelector(invoker: probe, host: host, environmentSyscall: .some(nil))
        let engine = try Engine(
            EngineConfiguration(servers: 2, workers: 3, workload: .mixed, backend: .kernel, selector: selector))
        #expect(engine.selection.kind == .kernel)
        #expect(engine.backend.kind == .kernel)
        try engine.start()
        #expect(waitUntil(seconds: 10) { engine.failedWorkers == 5 })
        #expect(engine.stop(timeout: 30))
        #expect(engine.snapshot().servers.allSatisfy { $0.state == .stopped })
    }
}
