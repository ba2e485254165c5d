import UMCGSystem

/// Issues a raw 6-argument system call: returns the result or -errno. Injected in tests so no
/// test ever issues a real UMCG-numbered syscall.
public typealias SyscallInvoker =
    @Sendable (_ number: Int64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64, _ a6: UInt64)
    -> Int64

/// The real syscall(2), through the system layer.
public let liveSyscallInvoker: SyscallInvoker = { nr, a1, a2, a3, a4, a5, a6 in
    do throws(Errno) { return try RawSyscall.call(nr, a1, a2, a3, a4, a5, a6) } catch { return -Int64(error.rawValue) }
}

/// `umcg_ctl` passed straight to a kernel that implements it (Nanos' umcg klib).
///
/// Only constructed by `BackendSelector` after the detection rule of docs/UMCG-ABI.md held.
/// Blocking sections and checkpoints are no-ops: the kernel sees blocking syscalls and preempts.
public final class KernelBackend: UMCGBackend, Sendable {
    /// The syscall number of umcg_ctl on this kernel.
    public let syscallNumber: Int
    let invoker: SyscallInvoker

    /// `.kernel`.
    public var kind: BackendKind { .kernel }

    /// Creates a backend calling syscall `syscallNumber` through `invoker`.
    public init(syscallNumber: Int, invoker: @escaping SyscallInvoker = liveSyscallInvoker) {
        self.syscallNumber = syscallNumber
        self.invoker = invoker
    }

    /// `umcg_ctl` as the syscall: the result or the errno it set.
    public func ctl(
        flags: UInt64, cmd: UMCGCommand, nextTid: Int32, absTimeout: UInt64,
        events: UnsafeMutablePointer<UInt64>?, eventCount: Int32
    ) throws(Errno) {
        let r = invoker(
            Int64(syscallNumber), flags, cmd.rawValue, UInt64(UInt32(bitPattern: nextTid)), absTimeout,
            UInt64(UInt(bitPattern: events)), UInt64(UInt32(bitPattern: eventCount)))
        if r < 0 { throw Errno(rawValue: Int32(truncatingIfNeeded: -r)) }
    }

    /// No-op: the kernel sees a worker block inside any syscall.
    public func enterBlocking() throws(Errno) {}
    /// No-op: the kernel queues WAKE when the syscall returns.
    public func leaveBlocking() throws(Errno) {}
    /// No-op: the kernel preempts on its own.
    @discardableResult
    public func checkpoint() throws(Errno) -> Bool { false }
}
