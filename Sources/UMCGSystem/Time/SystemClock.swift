import CUMCGShims

/// Clocks in nanoseconds (vDSO-backed clock_gettime).
public enum SystemClock {
    /// CLOCK_MONOTONIC in ns: event timestamps and intervals.
    @inlinable @inline(__always)
    public static func monotonicNanos() -> UInt64 { umcg_shim_monotonic_ns() }

    /// CLOCK_REALTIME in ns: the clock of UMCG absolute timeouts.
    @inlinable @inline(__always)
    public static func realtimeNanos() -> UInt64 { umcg_shim_realtime_ns() }

    /// CPU time the calling thread has used, in ns.
    @inlinable @inline(__always)
    public static func threadCPUNanos() -> UInt64 { umcg_shim_thread_cputime_ns() }

    /// Sleeps for `nanos` (nanosleep); returns early, without an error, when a signal interrupts it.
    public static func sleep(nanos: UInt64) { _ = umcg_shim_nanosleep(nanos) }

    /// Sleeps for `nanos` and reports how it ended: throws EINTR when a signal cut it short.
    public static func sleepReportingInterrupts(nanos: UInt64) throws(Errno) {
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_nanosleep(nanos) }
    }
}
