import CUMCGShims

/// A Linux scheduling policy of one thread (sched_setscheduler(2)).
public enum SchedulingPolicy: String, Sendable, CaseIterable, CustomStringConvertible {
    /// SCHED_OTHER, the default time-sharing policy.
    case other
    /// SCHED_FIFO: real-time, runs until it blocks or yields; equal priorities take turns on yield.
    case fifo
    /// SCHED_RR: real-time, like FIFO with a time slice.
    case rr

    /// The kernel's number for the policy.
    public var kernelValue: Int32 {
        switch self {
        case .other: 0
        case .fifo: 1
        case .rr: 2
        }
    }

    /// "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR".
    public var description: String { "SCHED_" + rawValue.uppercased() }

    /// Puts the calling thread under this policy at `priority` (0 for `.other`, 1...99 otherwise).
    /// Throws EPERM without CAP_SYS_NICE or a large enough RLIMIT_RTPRIO.
    public func apply(priority: Int32) throws(Errno) {
        try Syscall.check(retryOnInterrupt: false) {
            umcg_shim_sched_setscheduler(0, kernelValue, self == .other ? 0 : priority)
        }
    }

    /// The calling thread's policy (nil for one this type does not name, e.g. SCHED_BATCH).
    public static func current() throws(Errno) -> SchedulingPolicy? {
        let value = try Syscall.valueOrErrno(retryOnInterrupt: false) { umcg_shim_sched_getscheduler(0) }
        return allCases.first { $0.kernelValue == value }
    }
}
