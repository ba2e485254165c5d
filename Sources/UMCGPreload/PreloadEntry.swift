import CUMCGPreload
import UMCGEngine
import UMCGSystem

/// The Swift side of libumcg.so: one process-wide `EmulatedBackend` behind C entry points.
///
/// The C side (CUMCGPreload) owns everything a C program sees: `umcg_ctl`, the `syscall()`
/// interposer, the blocking-call interposers and the preemption timer. It calls these functions
/// with its per-thread "in library" flag set, so the futex and mutex calls the engine makes here
/// reach libc untouched and a preemption signal arriving meanwhile is deferred.
/// Every function returns 0 or a positive errno value; none throws across the C boundary.
enum PreloadEntry {
    /// The emulation's limits; the adaptive spin budget from `UMCG_SPIN_NS` when it was set to a
    /// whole number of ns up to `EmulatedBackend.Options.maxSpinNanos` (else the default, as `bench`).
    static let options = EmulatedBackend.Options(
        spinNanos: EmulatedBackend.Options.spinNanos(orDefault: umcg_preload_spin_nanos()))

    /// The emulation every thread of the process shares (created on first use, never freed: the
    /// thread-exit destructors of registered threads name it until the process ends), observed by
    /// the publishing tracer when `UMCGTOP_PUBLISH=1` (PreloadPublishing).
    static let backend: EmulatedBackend? = try? EmulatedBackend(options: options, observer: PreloadPublishing.tracer)

    /// `backend` without reference counting: every entry point runs on it through
    /// `_withUnsafeGuaranteedRef`, so a call does not retain and release the one object all threads
    /// share (an atomic increment on a cache line the server's and the worker's CPUs would otherwise
    /// pass back and forth on every handoff). Valid because `backend` is never released.
    static let unmanaged: Unmanaged<EmulatedBackend>? = backend.map { Unmanaged.passUnretained($0) }

    /// Runs `body` on the backend without retaining it; `missing` when it could not be created (or
    /// before `umcg_preload_init_backend`, which the C side calls before any other entry point).
    /// The pointer comes from the C global `umcg_preload_backend_pointer`, not from `unmanaged`:
    /// reading a `static let` from here runs its lazy-initialisation check at every call.
    @inline(__always)
    static func with(_ missing: Int32, _ body: (EmulatedBackend) -> Int32) -> Int32 {
        guard let p = umcg_preload_backend() else { return missing }
        return Unmanaged<EmulatedBackend>.fromOpaque(p)._withUnsafeGuaranteedRef(body)
    }

    /// The kernel's umcg_ctl number when `BackendSelector` finds one that passes the probe, else -1.
    static let kernelSyscall: Int64 = {
        guard let selection = try? BackendSelector().select(.auto), selection.kind == .kernel,
            let nr = selection.syscallNumber
        else { return -1 }
        return Int64(nr)
    }()
}

/// Creates the emulation now (the C side calls this once, under the process's load-time CPU mask).
@_cdecl("umcg_preload_init_backend")
public func umcgPreloadInitBackend() {
    umcg_preload_set_backend(PreloadEntry.unmanaged?.toOpaque())
}

/// `umcg_ctl` on the emulation: 0, or the errno value the call fails with.
@_cdecl("umcg_preload_ctl")
public func umcgPreloadCtl(
    _ flags: UInt64, _ cmd: UInt64, _ nextTid: Int32, _ absTimeout: UInt64,
    _ events: UnsafeMutablePointer<UInt64>?, _ eventCount: Int32
) -> Int32 {
    PreloadEntry.with(Errno.ENOMEM.rawValue) { backend in
        do throws(Errno) {
            try backend.ctl(
                flags: flags, cmd: UMCGCommand(rawValue: cmd), nextTid: nextTid, absTimeout: absTimeout,
                events: events, eventCount: eventCount)
            return 0
        } catch {
            return error.rawValue
        }
    }
}

/// The calling worker enters a blocking section (BLOCK to its server, `reason` a `BlockReason` raw
/// value for the published event): 0 or an errno value.
@_cdecl("umcg_preload_enter_blocking")
public func umcgPreloadEnterBlocking(_ reason: Int32) -> Int32 {
    PreloadEntry.with(Errno.ENOMEM.rawValue) { backend in
        do throws(Errno) {
            try backend.enterBlocking(reason: UInt64(UInt32(bitPattern: reason)))
            return 0
        } catch {
            return error.rawValue
        }
    }
}

/// The calling worker leaves its blocking section (WAKE, then waits to be picked): 0 or an errno value.
@_cdecl("umcg_preload_leave_blocking")
public func umcgPreloadLeaveBlocking() -> Int32 {
    PreloadEntry.with(Errno.ENOMEM.rawValue) { backend in
        do throws(Errno) {
            try backend.leaveBlocking()
            return 0
        } catch {
            return error.rawValue
        }
    }
}

/// Parks the calling worker as preempted (PREEMPT to its server, then waits to be picked) when it has
/// run its slice; called from the preemption signal handler, outside any other engine call on this
/// thread (the C side defers the signal while one runs). 1 when it was preempted, 0 when not,
/// or minus an errno value.
@_cdecl("umcg_preload_preempt")
public func umcgPreloadPreempt() -> Int32 {
    PreloadEntry.with(-Errno.ENOMEM.rawValue) { backend in
        do throws(Errno) {
            return try backend.checkpoint() ? 1 : 0
        } catch {
            return -error.rawValue
        }
    }
}

/// In a forked child (the C side's pthread_atfork child handler): the thread that forked is no worker
/// or server of the child's emulation. Only called once the backend exists.
@_cdecl("umcg_preload_forget_thread")
public func umcgPreloadForgetThread() {
    _ = PreloadEntry.with(0) { backend in
        backend.forgetCallingThreadAfterFork()
        return 0
    }
}

/// The syscall number of a kernel umcg_ctl that passed the probe, or -1 (use the emulation).
@_cdecl("umcg_preload_kernel_syscall")
public func umcgPreloadKernelSyscall() -> Int64 {
    PreloadEntry.kernelSyscall
}
