import UMCGEngine

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
    /// How the emulated backend's parks ended during the run (UMCG on the emulation only, else nil).
    public var parks: ParkCounts?

    /// Creates a result.
    public init(cycles: UInt64, elapsedNanos: UInt64, cpuNanos: UInt64, cpus: [Int32], parks: ParkCounts? = nil) {
        self.cycles = cycles
        self.elapsedNanos = elapsedNanos
        self.cpuNanos = cpuNanos
        self.cpus = cpus
        self.parks = parks
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
