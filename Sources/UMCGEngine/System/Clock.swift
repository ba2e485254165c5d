import CUMCGShims

/// Clocks in nanoseconds (vDSO-backed clock_gettime).
public enum Clock {
    /// CLOCK_MONOTONIC in ns: event timestamps and intervals.
    @inline(__always)
    public static func monotonicNanos() -> UInt64 { umcg_shim_monotonic_ns() }

    /// CLOCK_REALTIME in ns: the clock of UMCG absolute timeouts.
    @inline(__always)
    public static func realtimeNanos() -> UInt64 { umcg_shim_realtime_ns() }

    /// CPU time the calling thread has used, in ns.
    @inline(__always)
    public static func threadCPUNanos() -> UInt64 { umcg_shim_thread_cputime_ns() }

    /// CPU time the whole process has used, in ns.
    @inline(__always)
    public static func processCPUNanos() -> UInt64 { umcg_shim_process_cputime_ns() }
}
