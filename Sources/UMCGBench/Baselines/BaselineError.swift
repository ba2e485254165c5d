import UMCGSystem

/// Why a baseline ping-pong could not run. Descriptions are one line.
public enum BaselineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `seconds` was not a finite number > 0.
    case invalidDuration(Double)
    /// Cross-CPU placement needs two CPUs; the process may use only `available`.
    case notEnoughCPUs(available: Int)
    /// A requested CPU index is outside the process's CPUs.
    case noSuchCPU(Int32, available: Int)
    /// sched_setaffinity refused to pin a thread to `cpu`.
    case pinFailed(cpu: Int32, Errno)
    /// pthread_create failed.
    case threadStartFailed(Errno)
    /// pthread_mutex_init / pthread_cond_init failed.
    case syncInitFailed(Errno)
    /// The spin limit runs across CPUs only; `placement` was something else.
    case spinNeedsCrossCPU(Placement)
    /// sched_setscheduler refused `policy` (EPERM without root, CAP_SYS_NICE or RLIMIT_RTPRIO).
    case policyFailed(SchedulingPolicy, Errno)

    /// One line naming what went wrong.
    public var description: String {
        switch self {
        case .invalidDuration(let s): "duration must be a finite number of seconds > 0, got \(s)"
        case .notEnoughCPUs(let n): "cross-cpu placement needs 2 CPUs, this process may use \(n)"
        case .noSuchCPU(let c, let n): "CPU \(c) does not exist here (\(n) CPUs usable)"
        case .pinFailed(let cpu, let e): "cannot pin a thread to CPU \(cpu): \(e)"
        case .threadStartFailed(let e): "cannot start a thread: \(e)"
        case .syncInitFailed(let e): "cannot initialise a pthread mutex/condvar: \(e)"
        case .spinNeedsCrossCPU(let p): "the spin limit runs across CPUs only, not \(p.rawValue)"
        case .policyFailed(let p, let e):
            "cannot run under \(p) (\(e)): needs root, CAP_SYS_NICE or RLIMIT_RTPRIO >= 1"
        }
    }
}
