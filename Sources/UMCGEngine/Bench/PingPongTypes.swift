import UMCGSystem

/// Where the two threads of a ping-pong run.
public enum Placement: String, Sendable, CaseIterable, Codable {
    /// Both pinned to the same CPU.
    case sameCPU = "same-cpu"
    /// Pinned to two different CPUs.
    case crossCPU = "cross-cpu"
    /// Not pinned; the kernel decides (results are bimodal on small VMs).
    case unpinned = "unpinned"
}

/// How a UMCG handoff sleeps and wakes.
public enum HandoffMode: String, Sendable, CaseIterable, Codable {
    /// Every handoff is a FUTEX_WAKE + FUTEX_WAIT, like the futex baseline.
    case futex
    /// Spin briefly on the handoff word before sleeping, and skip FUTEX_WAKE when the peer is spinning.
    case adaptive
}

/// What one timed ping-pong run measured. One cycle = main → peer → main (two switches).
public struct PingPongResult: Sendable, Equatable {
    /// Cycles completed.
    public var cycles: UInt64
    /// Wall-clock ns the run lasted.
    public var elapsedNanos: UInt64
    /// CPU ns both threads used together.
    public var cpuNanos: UInt64
    /// CPUs the two threads were seen on (main, peer), -1 if unknown.
    public var cpus: [Int32]

    /// Creates a result.
    public init(cycles: UInt64, elapsedNanos: UInt64, cpuNanos: UInt64, cpus: [Int32]) {
        self.cycles = cycles
        self.elapsedNanos = elapsedNanos
        self.cpuNanos = cpuNanos
        self.cpus = cpus
    }

    /// Cycles per second of wall-clock time.
    public var cyclesPerSecond: Double {
        elapsedNanos == 0 ? 0 : Double(cycles) * 1e9 / Double(elapsedNanos)
    }

    /// ns per switch (half a cycle).
    public var nanosPerSwitch: Double {
        cycles == 0 ? 0 : Double(elapsedNanos) / Double(cycles * 2)
    }
}
