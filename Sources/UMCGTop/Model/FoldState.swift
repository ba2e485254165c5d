import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// The dashboard's layer on the shared `EventFold`: the fold keeps state and counters; this keeps
/// what only the dashboard shows (rows with recent events, rate windows, histories, baselines),
/// as one value so that folding an event costs one exclusive access instead of one per field
/// (class properties are checked dynamically).
struct FoldState {
    /// The shared fold, dense over the model's entity table: `workerRows` and `workerTracks` follow
    /// its `workers` slot for slot.
    var events: EventFold
    var workerRows: [WorkerRow]
    var workerTracks: [WorkerTrack]
    var serverRows: [ServerRow]
    var serverTracks: [ServerTrack]
    var rates: SwitchRates
    var baselines: [BaselineTrack]  // indexed by BaselineMethod.rawValue
    var engineCyclesWindow = CounterWindow()
    var eventsWindow = CounterWindow()
    var dropsWindow = CounterWindow()
    var lastTick: UInt64 = 0
    /// Status numbers computed at the last tick, published with the tables.
    var folded = FoldedStatus()
    var lastHistorySample: UInt64 = 0
    /// Next trace-time boundary for automatic sampling (replay), 0 before the first record.
    var nextAutoSample: UInt64 = 0

    /// Empty tables shaped like `model`'s.
    init(model m: DashboardModel) {
        events = EventFold(workerIds: m.workers.map(\.id), denseServers: m.servers.count)
        workerRows = m.workers
        workerTracks = Array(repeating: WorkerTrack(), count: m.workers.count)
        serverRows = m.servers
        serverTracks = Array(repeating: ServerTrack(), count: m.servers.count)
        rates = m.rates
        baselines = Array(repeating: BaselineTrack(), count: 4)
    }

    /// Events folded (every kind).
    var eventsTotal: UInt64 { events.eventsTotal }
    /// Timestamp of the newest event or snapshot seen.
    var latestTimestamp: UInt64 { events.latestTimestamp }
    /// Events lost: the larger of the snapshots' lossless count and the markers' sum.
    var droppedTotal: UInt64 { max(events.snapshotDropped, events.markerDropped) }

    /// Folds one event. Events with ids outside the entity table change nothing but counts.
    mutating func ingest(_ e: TraceEvent) {
        // The slot of the worker a worker-state event names (not a server, baseline, marker or keyframe event).
        guard let w = events.ingest(e) else { return }
        workerRows[w].recent.append(RecentEvent(timestamp: e.timestamp, kind: e.kind, server: e.server, arg: e.arg))
    }

    /// Folds up to `limit` events waiting in `ring`, oldest first; returns how many.
    mutating func ingest(draining ring: TraceRing, limit: Int) -> Int {
        ring.drain(limit: limit) { ingest($0) }
    }

    /// Folds a snapshot: the shared fold takes its counters; the baselines' rate windows too.
    mutating func ingest(snapshot: Snapshot) {
        events.ingest(snapshot: snapshot)
        for b in snapshot.baselines {
            let i = Int(b.method.rawValue)
            guard i < baselines.count else { continue }
            baselines[i].counterWindow.push(time: b.activeNanos, total: b.cycles)
            baselines[i].hasCounters = true
            baselines[i].placement = b.placement
        }
    }

    /// Copies what the shared fold knows (state, server, current worker…) into the rows; the latency
    /// histograms follow once per refresh (`sample(at:refreshMillis:)`).
    mutating func syncRows() {
        for w in workerRows.indices {
            let f = events.workers[w]
            workerRows[w].state = f.state
            workerRows[w].server = f.server
            workerRows[w].lastBlockReason = f.lastBlockReason
        }
        for s in serverRows.indices {
            let f = events.servers[s]
            serverRows[s].state = f.state
            serverRows[s].currentWorker = f.currentWorker
            serverRows[s].runQueueDepth = f.runQueueDepth
        }
    }
}

/// The status numbers the aggregator computes (published together with the tables).
struct FoldedStatus: Sendable {
    var eventsPerSecond: Double = 0
    var eventsTotal: UInt64 = 0
    var droppedTotal: UInt64 = 0
    var droppedRecent: UInt64 = 0
    var nowNanos: UInt64 = 0
}
