import CUMCGShims

/// Kernel thread ids.
public enum ThreadID {
    /// gettid(2) of the calling thread (a system call: cache it when hot).
    @inlinable @inline(__always)
    public static func current() -> Int32 { umcg_shim_gettid() }
}
