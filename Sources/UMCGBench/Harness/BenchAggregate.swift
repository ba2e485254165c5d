import UMCGEngine
import UMCGSystem
import UMCGTrace

/// One run of a case, as a `BenchRunner` measured it.
public struct BenchRun: Sendable, Equatable {
    /// The ping-pong's own measurement.
    public var result: PingPongResult
    /// Trace events drained during a traced run (0 untraced).
    public var tracedEvents: UInt64
    /// Trace events dropped during a traced run.
    public var droppedEvents: UInt64

    /// Creates a run record.
    public init(result: PingPongResult, tracedEvents: UInt64 = 0, droppedEvents: UInt64 = 0) {
        self.result = result
        self.tracedEvents = tracedEvents
        self.droppedEvents = droppedEvents
    }
}

/// Totals of one case over every round.
public struct BenchAggregate: Sendable, Equatable {
    /// The case.
    public var benchCase: BenchCase
    /// Cycles over all rounds.
    public var cycles: UInt64 = 0
    /// Wall ns over all rounds.
    public var elapsedNanos: UInt64 = 0
    /// CPU ns of both threads over all rounds.
    public var cpuNanos: UInt64 = 0
    /// cycles/s of each round, in round order.
    public var roundsCyclesPerSecond: [Double] = []
    /// CPUs (main, peer) seen in each round.
    public var roundsCPUs: [[Int32]] = []
    /// How the emulated backend's parks ended in each round (nil entries: not the emulation).
    public var roundsParks: [ParkCounts?] = []
    /// Cycles of each round, in round order.
    public var roundsCycles: [UInt64] = []
    /// Trace events drained (traced runs).
    public var tracedEvents: UInt64 = 0
    /// Trace events dropped (traced runs).
    public var droppedEvents: UInt64 = 0

    /// Creates an empty aggregate.
    public init(benchCase: BenchCase) { self.benchCase = benchCase }

    /// Adds one round.
    public mutating func add(_ run: BenchRun) {
        cycles &+= run.result.cycles
        elapsedNanos &+= run.result.elapsedNanos
        cpuNanos &+= run.result.cpuNanos
        roundsCyclesPerSecond.append(run.result.cyclesPerSecond)
        roundsCPUs.append(run.result.cpus)
        roundsParks.append(run.result.parks)
        roundsCycles.append(run.result.cycles)
        tracedEvents &+= run.tracedEvents
        droppedEvents &+= run.droppedEvents
    }

    /// Total cycles / total wall seconds.
    public var cyclesPerSecond: Double { elapsedNanos == 0 ? 0 : Double(cycles) * 1e9 / Double(elapsedNanos) }
    /// Total wall ns / (2 × total cycles): one cycle is two switches.
    public var nanosPerSwitch: Double { cycles == 0 ? 0 : Double(elapsedNanos) / (2 * Double(cycles)) }
    /// CPU seconds of both threads over all rounds.
    public var cpuSeconds: Double { Double(cpuNanos) / 1e9 }
    /// The distinct CPUs the threads ran on, over all rounds, ascending.
    public var cpusSeen: [Int32] { Array(Set(roundsCPUs.joined())).sorted() }
}
