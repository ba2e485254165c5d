/// What happened. Raw values are frozen once released: never renumber, only add.
public enum TraceEventKind: UInt8, Sendable, CaseIterable, BitwiseCopyable, CustomStringConvertible {
    /// A worker registered (UMCG_REGISTER_WORKER). `arg`: the worker's thread id.
    case register = 1
    /// A worker unregistered or its thread ended. `arg`: an `ExitReason` raw value.
    case exit = 2
    /// A server switched to a worker (CTX_SWITCH). `arg`: ns the worker waited runnable (wake→run), 0 if unknown.
    case switchTo = 3
    /// A running worker entered a blocking section. `arg`: a `BlockReason` raw value.
    case block = 4
    /// A worker became runnable (after register or a blocking section). `arg`: ns it was blocked, 0 if unknown.
    case wake = 5
    /// A worker yielded (UMCG_WAIT) or handed its server to another worker. `arg`: ns it ran since switched in.
    case wait = 6
    /// A worker's absolute timeout passed.
    case timeout = 7
    /// A worker ran past its slice and was preempted. `arg`: ns it ran since switched in.
    case preempt = 8
    /// A server found nothing to run and went idle.
    case serverIdle = 9
    /// An idle server woke up (event or UMCG_WAKE). `arg`: ns it was idle.
    case serverWake = 10
    /// A worker handed its server directly to another worker (worker CTX_SWITCH). `arg`: the next worker's id.
    case handoff = 11
    /// A baseline ping-pong progress sample. `worker`: a `BaselineMethod` raw value, `arg`: cycles since the previous sample.
    case baselineSample = 12
    /// Marker: events were lost here. `arg`: how many. Workers it concerns are "unknown" until the next keyframe.
    case dropped = 30
    /// Marker: a keyframe (full snapshot) was taken at this timestamp.
    case keyframe = 31

    public var description: String {
        switch self {
        case .register: "register"
        case .exit: "exit"
        case .switchTo: "switch"
        case .block: "block"
        case .wake: "wake"
        case .wait: "wait"
        case .timeout: "timeout"
        case .preempt: "preempt"
        case .serverIdle: "server-idle"
        case .serverWake: "server-wake"
        case .handoff: "handoff"
        case .baselineSample: "baseline"
        case .dropped: "dropped"
        case .keyframe: "keyframe"
        }
    }
}

/// Why a worker blocked (the `arg` of a `.block` event). Frozen raw values.
public enum BlockReason: UInt64, Sendable, CaseIterable, CustomStringConvertible {
    case other = 0
    case sleep = 1
    case read = 2
    case futex = 3
    case io = 4
    case lock = 5

    public var description: String {
        switch self {
        case .other: "other"
        case .sleep: "sleep"
        case .read: "read"
        case .futex: "futex"
        case .io: "io"
        case .lock: "lock"
        }
    }
}

/// Why a worker exited (the `arg` of an `.exit` event). Frozen raw values.
public enum ExitReason: UInt64, Sendable, CaseIterable {
    /// UMCG_UNREGISTER.
    case unregistered = 0
    /// The thread ended without unregistering.
    case threadEnded = 1
    /// The workload threw.
    case workloadFailed = 2
}

/// One fixed-size trace record: 32 bytes in memory, cheap to copy into a ring.
///
/// `worker` and `server` are the engine's dense ids (indices into the entity table),
/// not thread ids; `noWorker` / `noServer` mean "not applicable".
@frozen
public struct TraceEvent: Sendable, Equatable, BitwiseCopyable {
    /// CLOCK_MONOTONIC in nanoseconds.
    public var timestamp: UInt64
    /// Kind-specific argument (see `TraceEventKind`).
    public var arg: UInt64
    /// Worker id, or `TraceEvent.noWorker`.
    public var worker: UInt32
    /// Server id, or `TraceEvent.noServer`.
    public var server: UInt16
    /// CPU the producing thread ran on, or `TraceEvent.noCPU`.
    public var cpu: UInt16
    /// What happened.
    public var kind: TraceEventKind
    /// Reserved for flags; 0 today.
    public var flags: UInt8

    public static let noWorker: UInt32 = .max
    public static let noServer: UInt16 = .max
    public static let noCPU: UInt16 = .max

    /// Creates an event.
    @inlinable
    public init(
        timestamp: UInt64, kind: TraceEventKind, server: UInt16 = TraceEvent.noServer,
        worker: UInt32 = TraceEvent.noWorker, cpu: UInt16 = TraceEvent.noCPU, arg: UInt64 = 0, flags: UInt8 = 0
    ) {
        self.timestamp = timestamp
        self.arg = arg
        self.worker = worker
        self.server = server
        self.cpu = cpu
        self.kind = kind
        self.flags = flags
    }
}
