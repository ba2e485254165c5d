import CUMCGShims

/// Writes into the calling process's own memory through the kernel: a bad address fails with EFAULT
/// instead of raising SIGSEGV, so a library can check a caller's pointer before it stores to it.
public enum OwnMemory {
    /// Stores `value` at `address` with process_vm_writev(2) on our own pid. Throws EFAULT when the
    /// address is not mapped writable, ENOSYS/EPERM where the call is unavailable (seccomp, old
    /// kernels, Nanos). Async-signal-safe: one system call, no allocation.
    @inline(__always)
    public static func write(_ value: UInt64, to address: UnsafeMutableRawPointer) throws(Errno) {
        var v = value
        let n = try Syscall.valueOrErrno { withUnsafePointer(to: &v) { umcg_shim_write_own_memory(address, $0, 8) } }
        if n != 8 { throw Errno.EFAULT }
    }
}
