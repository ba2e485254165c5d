import CUMCGShims

/// The raw six-argument syscall(2), for the UMCG kernel backend.
///
/// Never call it with a number that has not passed the UMCG detection rule (docs/UMCG-ABI.md):
/// on Linux 450 is `set_mempolicy_home_node`.
public enum RawSyscall {
    /// syscall(nr, a1…a6): the result, or throws its errno (EINTR is returned to the caller as an error).
    @inlinable @inline(__always)
    public static func call(
        _ nr: Int64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64, _ a6: UInt64
    ) throws(Errno) -> Int64 {
        try Syscall.valueOrErrno(retryOnInterrupt: false) { umcg_shim_syscall6(nr, a1, a2, a3, a4, a5, a6) }
    }
}
