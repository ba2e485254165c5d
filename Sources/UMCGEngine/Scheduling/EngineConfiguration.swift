import UMCGSystem
import UMCGTrace

/// How to run the engine.
public struct EngineConfiguration: Sendable {
    /// Server threads (default: one per CPU).
    public var servers: Int
    /// Worker threads `start()` starts running `workload`, named "\(workload)-\(i)" (may be 0).
    public var workers: Int
    /// What those workers run.
    public var workload: BuiltinWorkload
    /// Room for workers added by `Engine.spawn` beyond `workers`, before or after `start()`
    /// (counter rows, run-queue slots and stacks are sized for `workers + reservedWorkers`).
    public var reservedWorkers: Int
    /// Preemption slice in ns (Nanos: 100 ms).
    public var sliceNanos: UInt64
    /// Handoff mode of the emulated backend.
    public var handoff: HandoffMode
    /// Which backend to use.
    public var backend: BackendChoice
    /// `--umcg-syscall N`.
    public var umcgSyscall: Int?
    /// Where trace events go (nil: tracing costs one branch).
    public var hub: TraceHub?
    /// Seed of the workloads' random choices.
    public var seed: UInt64
    /// Pin server i to CPU i mod CPUs, and each worker to the CPU of the server that runs it.
    public var pinThreads: Bool
    /// Stack size of each worker thread.
    public var workerStackBytes: Int
    /// Where worker stacks live: glibc's own mappings with guard pages (default), or one pool on
    /// transparent huge pages for thousands of workers (see `WorkerStacks.pooled`).
    public var workerStacks: WorkerStacks = .system
    /// With `.pooled` stacks: paint them in full so `Engine.stackUsage` reports how deep workers
    /// went (costs a memset of the pool at creation).
    public var paintStacks = false
    /// Backend detection (tests inject one; nil = the real uname/env/syscall).
    public var selector: BackendSelector?
    /// Makes the backend from the selection instead of `BackendSelector.makeBackend` (tests put a
    /// double with the kernel's semantics here; nil = the selected backend).
    public var makeBackend: (@Sendable (BackendSelection, EmulatedBackend.Options) throws -> any UMCGBackend)?
    /// Whether the engine publishes its events and counters in a shared-memory region for
    /// `umcgtop --attach` (see `published()` and docs/SharedMemory.md).
    public var publishing: Publishing = .environment
    /// Where the region file goes (tests use a temporary directory).
    public var publishDirectory = "/dev/shm"
    /// Grow the process's private futex hash for the engine's threads at start (Linux 6.16+; see
    /// `FutexHash`). Off only to measure the kernel's default.
    public var growFutexHash = true

    /// Creates a configuration with the defaults of the live dashboard.
    public init(
        servers: Int = CPU.count, workers: Int = 8, workload: BuiltinWorkload = .mixed,
        reservedWorkers: Int = 0,
        sliceNanos: UInt64 = 100_000_000, handoff: HandoffMode = .adaptive, backend: BackendChoice = .auto,
        umcgSyscall: Int? = nil, hub: TraceHub? = nil, seed: UInt64 = 0x5eed,
        pinThreads: Bool = true, workerStackBytes: Int = 256 << 10, selector: BackendSelector? = nil
    ) {
        self.servers = servers
        self.workers = workers
        self.workload = workload
        self.reservedWorkers = reservedWorkers
        self.sliceNanos = sliceNanos
        self.handoff = handoff
        self.backend = backend
        self.umcgSyscall = umcgSyscall
        self.hub = hub
        self.seed = seed
        self.pinThreads = pinThreads
        self.workerStackBytes = workerStackBytes
        self.selector = selector
    }

    /// This configuration with a fresh trace hub of `ringCapacity` slots per ring as `hub`, so a
    /// program that only imports UMCGEngine gets events for the dashboard (`LiveSource(engine:)`).
    public func traced(ringCapacity: Int = 1 << 16) -> EngineConfiguration {
        var c = self
        c.hub = TraceHub(ringCapacity: ringCapacity)
        return c
    }

    /// This configuration publishing its events and counters for `umcgtop --attach PID` (implies
    /// `traced(ringCapacity:)`): the rings live in the region `/dev/shm/umcgtop.<pid>`. A
    /// published engine's events go to the viewer, so `LiveSource` refuses it.
    public func published(ringCapacity: Int? = nil) -> EngineConfiguration {
        var c = hub == nil || ringCapacity != nil ? traced(ringCapacity: ringCapacity ?? 1 << 16) : self
        c.publishing = .always
        return c
    }

    /// Most workers the engine can hold: `workers + reservedWorkers`.
    public var workerCapacity: Int { workers + reservedWorkers }

    /// "mixed servers=2 workers=8" (" reserved=N" when workers may be spawned).
    public var scenario: String {
        let base = "\(workload.rawValue) servers=\(servers) workers=\(workers)"
        return reservedWorkers > 0 ? base + " reserved=\(reservedWorkers)" : base
    }
}

/// Whether an engine publishes itself for `umcgtop --attach`.
public enum Publishing: Sendable, Equatable {
    /// When the environment says `UMCGTOP_PUBLISH=1` (read when the engine is created). The default.
    case environment
    /// Always (`EngineConfiguration.published()`).
    case always
    /// Never (umcgtop's own dashboard engine: it shows its events itself).
    case never
}

/// Why the engine could not be created or started; `description` is one line.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
