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
    /// Every worker's recent-events ring, `RecentEvents.capacity` slots per worker slot, written in
    /// place per event; a row's `recent` is filled from it when the rows are published (`syncRows`).
    var recentSlots: [RecentEvent]
    /// Per worker slot: events appended to its ring so far.
    var recentAppended: [UInt64]
    /// Per worker slot: `recentAppended` when its row's `recent` was last filled.
    var recentSynced: [UInt64]
    /// The worker slots `EventFold.ingest(_:workerSlots:)` hands back for one chunk of a batch.
    var chunkSlots = [Int32](repeating: -1, count: FoldState.chunk)
    /// The recent-events pass's scratch: per worker slot, its events in the chunk (0 between chunks)
    /// and those still to place; the worker slots the chunk names, in first-seen order.
    var chunkScratch = RecentScratch(workers: 0)
    /// Events folded per pass of a batch (the slots stay in cache between the fold and the rings).
    static let chunk = 4096

    /// Empty tables shaped like `model`'s.
    init(model m: DashboardModel) {
        // The rows show snapshot-corrected counts; the raw per-worker tallies are `report`'s.
        events = EventFold(workerIds: m.workers.map(\.id), denseServers: m.servers.count, keepsWorkerTallies: false)
        workerRows = m.workers
        workerTracks = Array(repeating: WorkerTrack(), count: m.workers.count)
        serverRows = m.servers
        serverTracks = Array(repeating: ServerTrack(), count: m.servers.count)
        rates = m.rates
        baselines = Array(repeating: BaselineTrack(), count: 4)
        recentSlots = Array(repeating: RecentEvents.filler, count: m.workers.count * RecentEvents.capacity)
        recentAppended = Array(repeating: 0, count: m.workers.count)
        recentSynced = recentAppended
        chunkScratch = RecentScratch(workers: m.workers.count)
    }

    /// Adds a row (and its rate windows and recent-events ring) after the fold added its worker.
    mutating func appendWorkerRow(_ row: WorkerRow) {
        workerRows.append(row)
        workerTracks.append(WorkerTrack())
        recentSlots += repeatElement(RecentEvents.filler, count: RecentEvents.capacity)
        recentAppended.append(0)
        recentSynced.append(0)
        chunkScratch.appendWorker()
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
        guard let w = events.ingest(e), w < recentAppended.count else { return }
        let n = recentAppended[w]
        recentSlots[w * RecentEvents.capacity + Int(n % UInt64(RecentEvents.capacity))] = RecentEvent(
            timestamp: e.timestamp, kind: e.kind, server: e.server, arg: e.arg)
        recentAppended[w] = n &+ 1
    }

    /// Folds up to `limit` events waiting in `ring`, oldest first, straight from its slots; returns how many.
    mutating func ingest(draining ring: TraceRing, limit: Int) -> Int {
        ring.drainBatches(limit: limit) { ingest($0) }
    }

    /// Folds `batch` in order, as `ingest(_:)` would one by one, a chunk at a time: the shared
    /// fold's batch loop, then the recent-events rings of the workers it names. Without
    /// `mergingLatencies` the latency values stay pending (`events.mergePendingLatencies()` merges
    /// them; the histograms are behind until then).
    mutating func ingest(_ batch: UnsafeBufferPointer<TraceEvent>, mergingLatencies: Bool = true) {
        var start = 0
        while start < batch.count {
            let end = min(batch.count, start + Self.chunk)
            Self.fold(
                UnsafeBufferPointer(rebasing: batch[start..<end]), events: &events, slots: &chunkSlots,
                recentSlots: &recentSlots, recentAppended: &recentAppended, scratch: &chunkScratch)
            start = end
        }
        // The chunks leave their latency values pending: merged once per batch, not per chunk.
        if mergingLatencies { events.mergePendingLatencies() }
    }

    /// One chunk (at most `chunk` events). The tables are distinct stored properties, passed `inout` together.
    private static func fold(
        _ chunk: UnsafeBufferPointer<TraceEvent>, events: inout EventFold, slots: inout [Int32],
        recentSlots: inout [RecentEvent], recentAppended: inout [UInt64], scratch: inout RecentScratch
    ) {
        slots.withUnsafeMutableBufferPointer { buffer in
            guard let slot = buffer.baseAddress, chunk.count <= buffer.count else { return }
            events.ingest(chunk, workerSlots: slot, mergingLatencies: false)
            recentSlots.withUnsafeMutableBufferPointer { ring in
                recentAppended.withUnsafeMutableBufferPointer { appended in
                    scratch.place(chunk, slots: slot, ring: ring, appended: appended)
                }
            }
        }
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

    /// Copies what the shared fold knows (state, server, current worker…) and the recent events into
    /// the rows; the latency histograms follow once per refresh (`sample(at:refreshMillis:)`).
    mutating func syncRows() {
        for w in workerRows.indices where w < recentAppended.count && recentAppended[w] != recentSynced[w] {
            let base = w * RecentEvents.capacity
            workerRows[w].recent = RecentEvents(
                slots: recentSlots[base..<base + RecentEvents.capacity], appended: recentAppended[w])
            recentSynced[w] = recentAppended[w]
        }
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
            serverRows[s].lastWorker = f.lastWorker
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
