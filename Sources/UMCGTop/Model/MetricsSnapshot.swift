import UMCGAnalysis

/// What the `/metrics` endpoint exposes, as one immutable value the UI loop publishes each tick:
/// per-server totals, the top workers by switches plus one aggregate of the rest, the baseline
/// rates, the ring counters and the fleet-wide latency histograms.
///
/// Label cardinality is bounded by construction: at most `topWorkers + 1` worker series per
/// metric, whatever the number of workers.
public struct MetricsSnapshot: Sendable {
    /// Totals of one server or one worker (or of the aggregate of the other workers).
    public struct Totals: Sendable, Equatable {
        /// Switches to a worker.
        public var switches: UInt64 = 0
        /// Blocking sections entered.
        public var blocks: UInt64 = 0
        /// Wakes.
        public var wakes: UInt64 = 0
        /// Yields (UMCG_WAIT).
        public var waits: UInt64 = 0
        /// Preemptions.
        public var preemptions: UInt64 = 0
        /// Servers: ns running workers; workers: ns running.
        public var runNanos: UInt64 = 0
        /// Servers: ns idle; workers: ns runnable or waiting.
        public var idleNanos: UInt64 = 0
        /// Workers: ns blocked (0 for servers).
        public var blockedNanos: UInt64 = 0

        /// Creates zero totals.
        public init() {}

        /// Adds `o` field by field (wrapping).
        public mutating func add(_ o: Totals) {
            switches &+= o.switches
            blocks &+= o.blocks
            wakes &+= o.wakes
            waits &+= o.waits
            preemptions &+= o.preemptions
            runNanos &+= o.runNanos
            idleNanos &+= o.idleNanos
            blockedNanos &+= o.blockedNanos
        }
    }

    /// One labelled series set: a server or a worker.
    public struct Entity: Sendable, Equatable {
        /// The `server` or `worker` label: the dense id, or "other" for the aggregate.
        public var id: String
        /// The `name` label.
        public var name: String
        /// Its totals.
        public var totals: Totals

        /// Creates an entity.
        public init(id: String, name: String, totals: Totals) {
            self.id = id
            self.name = name
            self.totals = totals
        }
    }

    /// One baseline's rate.
    public struct Baseline: Sendable, Equatable {
        /// "umcg", "futex" or "condvar".
        public var method: String
        /// Ping-pong cycles per second, nil before the first window.
        public var cyclesPerSecond: Double?

        /// Creates a baseline rate.
        public init(method: String, cyclesPerSecond: Double?) {
            self.method = method
            self.cyclesPerSecond = cyclesPerSecond
        }
    }

    /// Every server.
    public var servers: [Entity] = []
    /// The busiest workers by switches (at most the configured top N), busiest first.
    public var topWorkers: [Entity] = []
    /// Every other worker added up, nil when there are none.
    public var otherWorkers: Entity?
    /// Workers in the entity table.
    public var workerCount = 0
    /// Baseline rates: UMCG, futex, condvar.
    public var baselines: [Baseline] = []
    /// Events the UI folded.
    public var events: UInt64 = 0
    /// Events the rings dropped (lossless engine count where known).
    public var droppedEvents: UInt64 = 0
    /// Wake→run latencies of all workers (ns).
    public var wakeToRun = LatencyHistogram()
    /// Run lengths of all workers (ns).
    public var runLength = LatencyHistogram()

    /// Creates an empty snapshot.
    public init() {}
}

/// Receives a `MetricsSnapshot` after every aggregator tick (the metrics endpoint).
public protocol MetricsSink: AnyObject {
    /// Workers exposed one by one; the rest are added up into `worker="other"`.
    var topWorkerCount: Int { get }
    /// Takes the latest snapshot (called on the UI thread).
    func publish(_ snapshot: MetricsSnapshot)
}
