/// A worker's scheduling state (docs/UMCG-ABI.md, "Worker states"). Frozen raw values.
public enum WorkerState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Not (yet) registered.
    case unregistered = 0
    /// Registered, runnable, never picked.
    case idle = 1
    /// Runnable, waiting for a server.
    case runnable = 2
    /// Attached to a server and running.
    case running = 3
    /// Inside a blocking section.
    case blocked = 4
    /// Yielded (UMCG_WAIT) or handed off; waits to be switched to.
    case waiting = 5
    /// Unregistered or thread ended.
    case exited = 6
    /// Events for it were lost; known again at the next keyframe.
    case unknown = 7

    public var description: String {
        switch self {
        case .unregistered: "unregistered"
        case .idle: "idle"
        case .runnable: "runnable"
        case .running: "running"
        case .blocked: "blocked"
        case .waiting: "waiting"
        case .exited: "exited"
        case .unknown: "unknown"
        }
    }
}

/// A server's state. Frozen raw values.
public enum ServerState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case stopped = 0
    /// Waiting for events.
    case idle = 1
    /// Running a worker.
    case running = 2

    public var description: String {
        switch self {
        case .stopped: "stopped"
        case .idle: "idle"
        case .running: "running"
        }
    }
}

/// Lossless totals for one worker, read from the engine's atomics.
public struct WorkerCounters: Sendable, Equatable {
    public var id: UInt32
    public var state: WorkerState
    /// The server it runs on or last ran on, `TraceEvent.noServer` if none.
    public var server: UInt16
    public var switches: UInt64 = 0
    public var blocks: UInt64 = 0
    public var wakes: UInt64 = 0
    public var waits: UInt64 = 0
    public var preemptions: UInt64 = 0
    public var timeouts: UInt64 = 0
    /// Total ns attached to a server.
    public var runNanos: UInt64 = 0
    /// Total ns runnable but not running.
    public var runnableNanos: UInt64 = 0
    /// Total ns inside blocking sections.
    public var blockedNanos: UInt64 = 0

    /// Creates counters.
    public init(id: UInt32, state: WorkerState, server: UInt16 = TraceEvent.noServer) {
        self.id = id
        self.state = state
        self.server = server
    }
}

/// Lossless totals for one server.
public struct ServerCounters: Sendable, Equatable {
    public var id: UInt16
    public var state: ServerState
    /// The worker it runs, `TraceEvent.noWorker` if none.
    public var currentWorker: UInt32
    public var switches: UInt64 = 0
    /// Total ns running workers.
    public var busyNanos: UInt64 = 0
    /// Total ns idle (waiting for events).
    public var idleNanos: UInt64 = 0
    /// Workers queued on this server now.
    public var runQueueDepth: UInt32 = 0
    /// Events this server received.
    public var events: UInt64 = 0

    /// Creates counters.
    public init(id: UInt16, state: ServerState, currentWorker: UInt32 = TraceEvent.noWorker) {
        self.id = id
        self.state = state
        self.currentWorker = currentWorker
    }
}

/// Lossless totals of one live baseline ping-pong.
public struct BaselineCounters: Sendable, Equatable {
    public var method: BaselineMethod
    /// Cycles (main → peer → main) completed.
    public var cycles: UInt64
    /// ns the ping-pong has been running (excludes paused time).
    public var activeNanos: UInt64
    /// Where its threads ran: "same-cpu", "cross-cpu" or "unpinned".
    public var placement: String

    /// Creates counters.
    public init(method: BaselineMethod, cycles: UInt64, activeNanos: UInt64, placement: String) {
        self.method = method
        self.cycles = cycles
        self.activeNanos = activeNanos
        self.placement = placement
    }
}

/// Every entity's state and counters at one instant: a trace-file keyframe and the
/// lossless side of the live pipeline.
public struct Snapshot: Sendable, Equatable {
    /// CLOCK_MONOTONIC ns when taken.
    public var timestamp: UInt64
    public var servers: [ServerCounters]
    public var workers: [WorkerCounters]
    public var baselines: [BaselineCounters]
    /// Events dropped by all rings so far.
    public var droppedEvents: UInt64

    /// Creates a snapshot.
    public init(
        timestamp: UInt64, servers: [ServerCounters], workers: [WorkerCounters],
        baselines: [BaselineCounters] = [], droppedEvents: UInt64 = 0
    ) {
        self.timestamp = timestamp
        self.servers = servers
        self.workers = workers
        self.baselines = baselines
        self.droppedEvents = droppedEvents
    }
}
