import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// One event remembered in a worker's recent-events ring.
public struct RecentEvent: Equatable, Sendable {
    /// CLOCK_MONOTONIC ns (trace time).
    public var timestamp: UInt64
    /// What happened.
    public var kind: TraceEventKind
    /// The server involved, `TraceEvent.noServer` if none.
    public var server: UInt16
    /// The event's argument.
    public var arg: UInt64

    /// Creates a recent event.
    public init(timestamp: UInt64, kind: TraceEventKind, server: UInt16, arg: UInt64) {
        self.timestamp = timestamp
        self.kind = kind
        self.server = server
        self.arg = arg
    }
}

/// A fixed-capacity ring of a worker's latest events; appending never allocates.
public struct RecentEvents: Equatable, Sendable {
    /// Events kept per worker.
    public static let capacity = 32
    private var storage: [RecentEvent]
    private var head = 0
    /// Events held (≤ capacity).
    public private(set) var count = 0

    /// Creates an empty ring.
    public init() {
        storage = Array(repeating: Self.filler, count: Self.capacity)
    }

    /// The ring after `appended` appends, given its slots: slot `i` holds the latest event appended
    /// at a position ≡ `i` (mod `capacity`), or the filler for positions not written yet. The same
    /// value (`==` included) as appending those events one by one.
    init(slots: ArraySlice<RecentEvent>, appended: UInt64) {
        storage = Array(slots)
        head = Int(appended % UInt64(Self.capacity))
        count = Int(min(appended, UInt64(Self.capacity)))
    }

    /// What an empty ring's slots hold.
    static let filler = RecentEvent(timestamp: 0, kind: .register, server: TraceEvent.noServer, arg: 0)

    /// Appends an event, dropping the oldest when full.
    public mutating func append(_ event: RecentEvent) {
        storage[head] = event
        head = (head + 1) % Self.capacity
        if count < Self.capacity { count += 1 }
    }

    /// The events, newest first.
    public var newestFirst: [RecentEvent] {
        (0..<count).map { storage[(head - 1 - $0 + 2 * Self.capacity) % Self.capacity] }
    }
}

/// Where a worker spent the last window: fractions that add up to 1 (or all 0 if unknown).
public struct TimeSplit: Equatable, Sendable {
    /// Share running.
    public var run: Double
    /// Share runnable or waiting.
    public var runnable: Double
    /// Share blocked.
    public var blocked: Double

    /// Creates a split.
    public init(run: Double = 0, runnable: Double = 0, blocked: Double = 0) {
        self.run = run
        self.runnable = runnable
        self.blocked = blocked
    }
}

/// Everything the Workers panel and the detail view show about one worker.
public struct WorkerRow: Equatable, Sendable {
    /// Dense worker id.
    public var id: UInt32
    /// Name from the entity table.
    public var name: String
    /// Current state (`.unknown` after a gap until the next snapshot).
    public var state: WorkerState
    /// The server it runs on or last ran on, `TraceEvent.noServer` if none.
    public var server: UInt16
    /// Totals so far.
    public var totals = WorkerTotals()
    /// Switches to this worker per second over the last window.
    public var switchesPerSecond: Double = 0
    /// Time split over the last window.
    public var split = TimeSplit()
    /// Wake→run latency (ns runnable before being switched to).
    public var wakeToRun = LatencyHistogram()
    /// `wakeToRun` p50 and p99 as of the last refresh (within 1% of the exact values), nil without samples.
    public var wakeToRunP50: UInt64?
    /// See `wakeToRunP50`.
    public var wakeToRunP99: UInt64?
    /// Run lengths (ns from switch-in to block/wait/preempt).
    public var runLength = LatencyHistogram()
    /// Why it last blocked, nil if it never did.
    public var lastBlockReason: BlockReason?
    /// Its latest events.
    public var recent = RecentEvents()
    /// Switches per second, one sample per refresh.
    public var history: History

    /// Creates a row for a worker that has not registered yet.
    public init(id: UInt32, name: String, historyCapacity: Int) {
        self.id = id
        self.name = name
        state = .unregistered
        server = TraceEvent.noServer
        history = History(capacity: historyCapacity)
    }
}
