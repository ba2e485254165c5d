import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Backend detection with injected syscall results: no test issues a real syscall.
@Suite struct BackendSelectorTests {
    /// Records every call; answers from `answer(nr, cmd)`.
    final class FakeKernel: Sendable {
        let calls = ThreadLock<[(Int64, UInt64)]>([])
        let answer: @Sendable (Int64, UInt64) -> Int64
        init(_ answer: @escaping @Sendable (Int64, UInt64) -> Int64) { self.answer = answer }
        var invoker: SyscallInvoker {
            { nr, _, cmd, _, _, _, _ in
                self.calls.withLock { $0.append((nr, cmd)) }
                return self.answer(nr, cmd)
            }
        }
        var callCount: Int { calls.withLock { $0.count } }
    }

    static let nanos = HostInfo(sysname: "Nanos", release: "0.1.52", hostname: "n", cpus: 1)
    static let linux = HostInfo(sysname: "Linux", release: "6.18.44", hostname: "l", cpus: 2)
    static let umcg: @Sendable (Int64, UInt64) -> Int64 = { _, cmd in cmd == 4 ? -11 : -22 }

    @Test func nanosWithUMCGSelectsTheKernel() throws {
        let k = FakeKernel(Self.umcg)
        let s = BackendSelector(invoker: k.invoker, host: Self.nanos, environmentSyscall: .some(nil))
        let sel = try s.select(.auto)
        #expect(sel.kind == .kernel)
        #expect(sel.syscallNumber == 450)
        #expect(k.calls.withLock { $0.map(\.0) } == [450, 450])
        #expect(k.calls.withLock { $0.map(\.1) } == [0, 4])
        #expect(try s.select(.kernel).kind == .kernel)
        let backend = try s.makeBackend(for: sel, options: .init())
        #expect(backend.kind == .kernel)
        #expect(throws: Errno.EAGAIN) { try backend.ctl(.wake) }
        #expect(try backend.checkpoint() == false)
    }

    @Test func nanosWithoutUMCGFallsBackOrFails() throws {
        let k = FakeKernel { _, _ in -38 }
        let s = BackendSelector(invoker: k.invoker, host: Self.nanos, environmentSyscall: .some(nil))
        let sel = try s.select(.auto)
        #expect(sel.kind == .emulated)
        #expect(sel.reason.contains("ENOSYS"))
        #expect(!sel.reason.contains("\n"))
        #expect(throws: BackendSelectionError.self) { try s.select(.kernel) }
    }

    @Test func linuxNeverProbes450EvenWhenAsked() throws {
        let k = FakeKernel { _, _ in 0 }
        let s = BackendSelector(invoker: k.invoker, host: Self.linux, environmentSyscall: .some("450"))
        let sel = try s.select(.auto)
        #expect(sel.kind == .emulated)
        #expect(sel.reason.contains("set_mempolicy_home_node"))
        do {
            _ = try s.select(.kernel, explicitSyscall: 450)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("kernel backend unavailable: Linux 6.18.44"))
        }
        #expect(k.callCount == 0)
    }

    @Test func linuxWithoutANumberUsesTheEmulation() throws {
        let k = FakeKernel { _, _ in 0 }
        let s = BackendSelector(invoker: k.invoker, host: Self.linux, environmentSyscall: .some(nil))
        let sel = try s.select(.auto)
        #expect(
            sel
                == BackendSelection(
                    kind: .emulated,
                    reason: "Linux 6.18.44: no UMCG syscall known for this kernel; using the futex emulation",
                    syscallNumber: nil))
        #expect(k.callCount == 0)
    }

    @Test func linuxExplicitFreeNumberIsProbedSemantically() throws {
        // A 6.x-like answer (0 / EINVAL-ish) is not umcg_ctl.
        let notUMCG = FakeKernel { _, cmd in cmd == 0 ? -22 : 0 }
        let s1 = BackendSelector(invoker: notUMCG.invoker, host: Self.linux, environmentSyscall: .some(nil))
        let sel1 = try s1.select(.auto, explicitSyscall: 471)
        #expect(sel1.kind == .emulated)
        #expect(sel1.reason.contains("UMCG_WAKE gave 0"))
        let returnsZero = FakeKernel { _, _ in 0 }
        let s2 = BackendSelector(invoker: returnsZero.invoker, host: Self.linux, environmentSyscall: .some(nil))
        #expect(try s2.select(.auto, explicitSyscall: 471).reason.contains("cmd 0 gave 0"))
        // A patched Linux that answers like umcg_ctl at a free number, given by the environment.
        let patched = FakeKernel(Self.umcg)
        let s3 = BackendSelector(invoker: patched.invoker, host: Self.linux, environmentSyscall: .some(" 480 "))
        let sel3 = try s3.select(.auto)
        #expect(sel3.kind == .kernel)
        #expect(sel3.syscallNumber == 480)
        #expect(sel3.reason.contains("UMCG_SYSCALL_NR"))
        // The explicit flag wins over the environment.
        #expect(try s3.select(.auto, explicitSyscall: 490).syscallNumber == 490)
    }

    @Test func badNumbersAreReported() throws {
        let k = FakeKernel(Self.umcg)
        let s = BackendSelector(invoker: k.invoker, host: Self.nanos, environmentSyscall: .some("abc"))
        let sel = try s.select(.auto)
        #expect(sel.kind == .emulated)
        #expect(sel.reason.contains("UMCG_SYSCALL_NR=\"abc\""))
        #expect(throws: BackendSelectionError.self) { try s.select(.kernel, explicitSyscall: -1) }
        #expect(k.callCount == 0)
    }

    @Test func emulatedChoiceNeverProbes() throws {
        let k = FakeKernel(Self.umcg)
        let s = BackendSelector(invoker: k.invoker, host: Self.nanos, environmentSyscall: .some(nil))
        #expect(try s.select(.emulated).kind == .emulated)
        #expect(k.callCount == 0)
    }

    @Test func engineReportsKernelUnavailableAsOneLine() throws {
        let k = FakeKernel { _, _ in -38 }
        let s = BackendSelector(invoker: k.invoker, host: Self.linux, environmentSyscall: .some(nil))
        do {
            _ = try Engine(EngineConfiguration(backend: .kernel, selector: s))
            Issue.record("expected an error")
        } catch let e as EngineError {
            #expect(e.description.hasPrefix("kernel backend unavailable"))
            #expect(!e.description.contains("\n"))
        }
        let engine = try Engine(EngineConfiguration(backend: .auto, selector: s))
        #expect(engine.selection.kind == .emulated)
        #expect(engine.runInfo().kernel == "Linux 6.18.44")
    }

    @Test func eventWordsRoundTrip() {
        let e = UMCGEvent(workerID: UMCGABI.workerID(forTid: 1234), type: .preempt)
        #expect(e.rawValue == (1234 << 5) | 6)
        #expect(e.type == .preempt)
        #expect(e.workerID >> UMCGABI.workerIDShift == 1234)
        #expect(UMCGEvent(rawValue: 1234 << 5).type == nil)
        #expect(UMCGCommand(rawValue: 9).isValid == false)
    }
}
