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
        var ids = [Int32](repeating: 0, count: 1024)
        let n = ids.withUnsafeMutableBufferPointer { umcg_shim_affinity_cpus($0.baseAddress, 1024) }
        return n > 0 ? ids.prefix(Int(n)).map { Int($0) } : [0]
    }

    /// The CPU the caller runs on now, or -1 when unknown (cheap: glibc reads it from rseq).
    @inline(__always)
    public static func current() -> Int32 {
        let c = umcg_shim_getcpu()
        return c < 0 ? -1 : c
    }

    /// Pins the calling thread to `cpu`.
    public static func pin(_ cpu: Int) throws(Errno) {
        guard cpu >= 0, cpu < 1024 else { throw Errno.EINVAL }
        let r = umcg_shim_pin_to_cpu(0, Int32(cpu))
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// Lets the calling thread run on every CPU again.
    public static func unpin() throws(Errno) {
        let r = umcg_shim_unpin(0)
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// The spin-wait hint (PAUSE / YIELD).
    @inline(__always)
    public static func relax() { umcg_shim_cpu_relax() }
}
