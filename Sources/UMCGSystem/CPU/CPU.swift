import CUMCGShims

/// CPU placement helpers.
public enum CPU {
    /// CPUs this process may run on (its affinity mask), at least 1.
    public static var count: Int {
        let n = umcg_shim_affinity_cpu_count()
        return n > 0 ? Int(n) : 1
    }

    /// The CPU ids this process may run on (its affinity mask), ascending; `[0]` when unknown.
    /// Pin to these, not to 0..<count: a container's cpuset may start elsewhere.
    public static func allowed() -> [Int] {
        var words = [UInt64](repeating: 0, count: 16)
        let r = words.withUnsafeMutableBufferPointer { umcg_shim_affinity_mask($0.baseAddress, 16) }
        guard r == 0 else { return [0] }
        let ids = (0..<1024).filter { words[$0 / 64] & (1 << UInt64($0 % 64)) != 0 }
        return ids.isEmpty ? [0] : ids
    }

    /// The CPU the caller runs on now, or -1 when unknown (cheap: read from the thread's rseq area).
    @inlinable @inline(__always)
    public static func current() -> Int32 {
        let c = umcg_shim_current_cpu()
        return c < 0 ? -1 : c
    }

    /// Pins the calling thread to `cpu`.
    public static func pin(_ cpu: Int) throws(Errno) {
        guard cpu >= 0, cpu < 1024 else { throw Errno.EINVAL }
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_pin_to_cpu(0, Int32(cpu)) }
    }

    /// The spin-wait hint (PAUSE / YIELD).
    @inlinable @inline(__always)
    public static func relax() { umcg_shim_cpu_relax() }

    /// sched_yield(2): lets another runnable thread of this CPU run.
    @inlinable @inline(__always)
    public static func yield() { _ = umcg_shim_sched_yield() }

    /// A hint to load the cache line at `address` (never faults).
    @inlinable @inline(__always)
    public static func prefetch(_ address: UnsafeRawPointer) { umcg_shim_prefetch(address) }

    /// An address in the caller's current stack frame (close to its stack pointer).
    @inlinable @inline(__always)
    public static func stackAddress() -> UInt { UInt(umcg_shim_stack_address()) }

    /// x86-64 with AVX-512: puts the opmask and upper ZMM registers back in their init state, so
    /// the kernel no longer saves and restores them on this thread's context switches (see the shim).
    @inlinable
    public static func resetVectorState() { umcg_shim_reset_vector_state() }

    /// Whether the opmask or upper ZMM state is in use on the calling thread; nil where that
    /// cannot be known (no AVX-512 or no XGETBV(1)).
    @inlinable
    public static func upperVectorStateInUse() -> Bool? {
        let r = umcg_shim_upper_vector_state_in_use()
        return r < 0 ? nil : r == 1
    }
}
