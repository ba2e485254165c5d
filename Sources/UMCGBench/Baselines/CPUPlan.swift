import UMCGSystem

/// The CPUs the two threads of a ping-pong are pinned to (`nil` = left to the kernel).
///
/// CPUs are numbered 0 ..< `CPU.count`, i.e. the process is assumed to run on CPUs
/// 0…n-1 (true on these machines; under a sparse `taskset` mask pinning fails with a clear error).
public struct CPUPlan: Sendable, Equatable {
    /// CPU of the main thread (the one that counts cycles), or nil.
    public var main: Int32?
    /// CPU of the peer thread, or nil.
    public var peer: Int32?
    /// The scheduling policy both threads put themselves under after pinning (priority 1 for the
    /// real-time ones); `.other` leaves them as they start.
    public var policy: SchedulingPolicy = .other

    /// Creates a plan.
    public init(main: Int32?, peer: Int32?, policy: SchedulingPolicy = .other) {
        self.main = main
        self.peer = peer
        self.policy = policy
    }

    /// Applies `policy` to the calling thread (nothing for `.other`).
    func applyPolicy() throws(BaselineError) {
        guard policy != .other else { return }
        do throws(Errno) { try policy.apply(priority: 1) } catch { throw .policyFailed(policy, error) }
    }

    /// The plan for `placement` on a machine with `cpuCount` CPUs.
    ///
    /// `.sameCPU` uses `preferredCPU`, default the last CPU (engine servers start at CPU 0, so
    /// the last one is disturbed least). `.crossCPU` puts the peer on that CPU and main on the one
    /// below it (0 and 1 on two CPUs); with one CPU it throws `notEnoughCPUs` rather than
    /// silently measuring a same-CPU run.
    public static func make(
        for placement: Placement, cpuCount: Int = CPU.count, preferredCPU: Int32? = nil,
        policy: SchedulingPolicy = .other
    ) throws(BaselineError) -> CPUPlan {
        let count = max(1, cpuCount)
        let last = Int32(count - 1)
        let anchor = preferredCPU ?? last
        guard anchor >= 0, anchor <= last else { throw .noSuchCPU(anchor, available: count) }
        switch placement {
        case .unpinned:
            return CPUPlan(main: nil, peer: nil, policy: policy)
        case .sameCPU:
            return CPUPlan(main: anchor, peer: anchor, policy: policy)
        case .crossCPU:
            guard count >= 2 else { throw .notEnoughCPUs(available: count) }
            return CPUPlan(main: anchor == 0 ? 1 : anchor - 1, peer: anchor, policy: policy)
        }
    }
}
