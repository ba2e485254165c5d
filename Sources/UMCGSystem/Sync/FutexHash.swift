import CUMCGShims

/// The process's private futex hash (Linux 6.16+, `prctl(PR_FUTEX_HASH)`).
///
/// By default the kernel sizes it for 4 × min(threads, online CPUs) buckets (16 on 2 CPUs), so
/// with thousands of sleeping workers every FUTEX_WAIT and FUTEX_WAKE walks a bucket holding
/// hundreds of waiters: a scan over the workers on the switch path, in the kernel. The engine
/// grows the hash for its thread count before starting its threads.
public enum FutexHash {
    /// Most buckets `reserve` asks for (about 64 MiB of kernel memory at most; 16,384 for 10,000 workers).
    public static let maxBuckets = 1 << 20

    /// Buckets of the private hash now (0: the process uses the global hash). Throws EINVAL when the
    /// kernel has no private futex hash.
    public static func buckets() throws(Errno) -> Int {
        let r = umcg_shim_futex_hash_get_slots()
        if r < 0 { throw Errno(rawValue: -r) }
        return Int(r)
    }

    /// The bucket count for `threads` sleeping threads: 4 per thread, a power of two in 16...maxBuckets.
    public static func buckets(forThreads threads: Int) -> Int {
        let want = min(max(16, 4 * max(0, threads)), maxBuckets)
        var n = 16
        while n < want { n <<= 1 }
        return n
    }

    /// Grows the private hash to `buckets(forThreads:)` unless it is already that large or uses the
    /// global hash (0, chosen by someone on purpose); never shrinks. Returns the buckets afterwards.
    /// Throws EINVAL when the kernel has no private futex hash, ENOMEM when it cannot allocate.
    @discardableResult
    public static func reserve(threads: Int) throws(Errno) -> Int {
        let current = try buckets()
        let want = buckets(forThreads: threads)
        if current == 0 || current >= want { return current }
        let r = umcg_shim_futex_hash_set_slots(UInt32(want))
        if r < 0 { throw Errno(rawValue: -r) }
        return try buckets()
    }
}
