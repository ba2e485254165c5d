import UMCGTrace

/// The one fold of the event stream: events, gaps and snapshots in, per-worker and per-server
/// state and counters out. The dashboard, `umcgtop report` and the exporters read it and add
/// their own views on top.
///
/// Deterministic and plain Swift: the same records in the same order give the same fold.
/// Threading rule: one thread at a time (it is a value).
///
/// Two tables:
/// - **dense**: the worker ids given at creation, plus those added later (the dashboard): rows only
///   for those ids, in the order added, found through an id-indexed slot table of 4 bytes per id up
///   to the highest (so a few workers at huge ids cost a few rows, not one row per id); servers are
///   `0..<n` with `servers[i].id == i`; ingest never allocates, and events naming other ids change
///   nothing but counts;
/// - **sparse**: declared entities plus ids first seen in events, up to `maxRows` each (the report
///   over an untrusted file); `workers` is then in creation order.
public struct EventFold: Sendable {
    /// The workers, dense by id or in creation order (see the type's comment).
    public internal(set) var workers: [WorkerFold] = []
    /// The servers, dense by id or in creation order (see the type's comment).
    public internal(set) var servers: [ServerFold] = []
    /// Events per kind (index: raw value), `.dropped` markers included.
    public internal(set) var kindCounts = [UInt64](repeating: 0, count: 256)
    /// Events folded (every kind).
    public internal(set) var eventsTotal: UInt64 = 0
    /// Timestamp of the newest event or snapshot seen.
    public internal(set) var latestTimestamp: UInt64 = 0
    /// Events lost, by the drop markers and gap records seen.
    public internal(set) var markerDropped: UInt64 = 0
    /// Events lost, by the newest snapshot's lossless count.
    public internal(set) var snapshotDropped: UInt64 = 0
    /// Baseline cycles from `.baselineSample` events, indexed by `BaselineMethod.rawValue`.
    public internal(set) var baselineSampleCycles = [UInt64](repeating: 0, count: 4)
    /// Active ns of the baseline slices those samples ended (see `BaselineSliceClock`), indexed by
    /// `BaselineMethod.rawValue`: cycles / active time is the method's rate.
    public internal(set) var baselineSampleActiveNanos = [UInt64](repeating: 0, count: 4)
    private var baselineSlices = BaselineSliceClock()
    /// Whether any `.baselineSample` event came, indexed by `BaselineMethod.rawValue`.
    public internal(set) var hasBaselineSamples = [Bool](repeating: false, count: 4)
    /// Wake→run latencies of every worker together (the metrics endpoint's histogram).
    public internal(set) var allWakeToRun = LatencyHistogram()
    /// Run lengths of every worker together (the metrics endpoint's histogram).
    public internal(set) var allRunLength = LatencyHistogram()
    /// The last snapshot folded (a replay keyframe or a live poll), if any.
    public internal(set) var lastSnapshot: Snapshot?

    /// Dense mode: the slot in `workers` of each id below its count, -1 for an id without a row.
    public var workerSlotTable: [Int32] { lookup.slotTable }
    /// The slot table, server count and sparse maps (one value, lent to `HotFold`).
    var lookup = FoldLookup()
    private let isDense: Bool
    var denseServers: Int { lookup.denseServers }
    let maxRows: Int
    private let keepsLatencySamples: Bool
    /// Scratch of the batch loop (`ingest(_:workerSlots:)`): latency values pending within a run, empty between runs.
    var latencyBatch = LatencyBatch()

    /// Dense mode's id limit (higher ids get no row): bounds the slot table at 4 MiB.
    public static let maxDenseWorkerIds: UInt32 = 1 << 20

    /// A dense fold over ids `0..<workers` and `0..<servers`, without exact latency samples.
    public init(denseWorkers: Int, denseServers: Int) {
        self.init(workerIds: (0..<max(0, denseWorkers)).map { UInt32($0) }, denseServers: denseServers)
    }

    /// A dense fold with rows for `workerIds` (in that order; repeats ignored) and servers `0..<denseServers`,
    /// without exact latency samples. Memory: one row per id given, plus 4 bytes per id up to the highest.
    /// Without `keepsWorkerTallies` the workers' `tally` (raw counts for `report`) stays empty, which
    /// saves its update on every worker event: the dashboard shows the snapshot-corrected counts instead.
    public init(workerIds: [UInt32], denseServers: Int, keepsWorkerTallies: Bool = true) {
        isDense = true
        lookup.keepsWorkerTallies = keepsWorkerTallies
        lookup.denseServers = max(0, min(denseServers, Int(TraceEvent.noServer)))
        maxRows = 0
        keepsLatencySamples = false
        servers = (0..<self.denseServers).map { ServerFold(id: UInt16($0)) }
        addDenseWorkers(workerIds)
    }

    /// Adds rows to a dense fold for the ids in `ids` it has none for (workers spawned while a run is
    /// live, or named later in a trace), at the end of `workers`; returns the ids added. Does
    /// nothing to a sparse fold.
    @discardableResult
    public mutating func addDenseWorkers(_ ids: [UInt32]) -> [UInt32] {
        guard isDense else { return [] }
        var added: [UInt32] = []
        for id in ids where id < Self.maxDenseWorkerIds && workerSlot(id) == nil {
            let i = Int(id)
            if i >= lookup.slotTable.count {
                lookup.slotTable += repeatElement(-1, count: i + 1 - lookup.slotTable.count)
            }
            lookup.slotTable[i] = Int32(workers.count)
            workers.append(WorkerFold(id: id, keepsLatencySamples: false))
            added.append(id)
        }
        return added
    }

    /// Grows a dense fold's server table to ids `0..<count` (servers registered after the run
    /// began, e.g. an attached program's); never shrinks, and does nothing to a sparse fold.
    /// Returns whether it grew.
    @discardableResult
    public mutating func growDenseServers(to count: Int) -> Bool {
        let target = min(count, Int(TraceEvent.noServer))
        guard isDense, target > denseServers else { return false }
        servers += (denseServers..<target).map { ServerFold(id: UInt16($0)) }
        lookup.denseServers = target
        return true
    }

    /// Grows a dense fold's worker table to ids `0..<count` (every id below `count` gets a row);
    /// never shrinks, and does nothing to a sparse fold.
    public mutating func growDenseWorkers(to count: Int) {
        addDenseWorkers((0..<max(0, count)).map { UInt32($0) })
    }

    /// A sparse fold: `declaredWorkers` and `declaredServers` exist from the start, and ids first
    /// seen in events are added while each table has fewer than `maxRows` entries.
    /// `keepsLatencySamples` keeps exact wake→run samples in each worker's tally.
    public init(
        declaredWorkers: [UInt32], declaredServers: [UInt16], maxRows: Int, keepsLatencySamples: Bool
    ) {
        isDense = false
        lookup.isSparse = maxRows > 0
        self.maxRows = maxRows
        self.keepsLatencySamples = keepsLatencySamples
        for id in declaredWorkers { _ = addWorker(id) }
        for id in declaredServers { _ = addServer(id) }
    }

    // MARK: - Slots

    /// The index in `workers` of worker `id`, nil if it has none.
    @inline(__always)
    public func workerSlot(_ id: UInt32) -> Int? {
        if Int(id) < workerSlotTable.count {
            let slot = workerSlotTable[Int(id)]
            return slot >= 0 ? Int(slot) : nil
        }
        return maxRows > 0 ? lookup.sparseWorkers[id] : nil
    }

    /// The index in `servers` of server `id`, nil if it has none.
    @inline(__always)
    public func serverSlot(_ id: UInt16) -> Int? {
        if Int(id) < denseServers { return Int(id) }
        return maxRows > 0 ? lookup.sparseServers[id] : nil
    }

    private mutating func addWorker(_ id: UInt32) -> Int {
        if let slot = lookup.sparseWorkers[id] { return slot }
        workers.append(WorkerFold(id: id, keepsLatencySamples: keepsLatencySamples))
        lookup.sparseWorkers[id] = workers.count - 1
        return workers.count - 1
    }

    private mutating func addServer(_ id: UInt16) -> Int {
        if let slot = lookup.sparseServers[id] { return slot }
        servers.append(ServerFold(id: id))
        lookup.sparseServers[id] = servers.count - 1
        return servers.count - 1
    }

    /// Sparse tables: adds the entities `e` is the first to name (a server that switches, idles
    /// or wakes; the worker of a worker event).
    private mutating func addEntities(of e: TraceEvent) {
        guard maxRows > 0 else { return }
        if e.server != TraceEvent.noServer, e.kind == .switchTo || e.kind == .serverIdle || e.kind == .serverWake,
            lookup.sparseServers[e.server] == nil, servers.count < maxRows
        {
            _ = addServer(e.server)
        }
        if e.worker != TraceEvent.noWorker, Self.isWorkerEvent(e.kind), lookup.sparseWorkers[e.worker] == nil,
            workers.count < maxRows
        {
            _ = addWorker(e.worker)
        }
    }

    /// Whether events of `kind` are about their worker (and counted in its tally).
    static func isWorkerEvent(_ kind: TraceEventKind) -> Bool {
        switch kind {
        case .baselineSample, .serverIdle, .serverWake, .keyframe: false
        default: true
        }
    }

    // MARK: - Events

    /// Folds one event. Returns the slot in `workers` of the worker a worker-state event (not a
    /// server, baseline, marker or keyframe event) names, nil otherwise.
    @discardableResult
    public mutating func ingest(_ e: TraceEvent) -> Int? {
        // Values the batch loop left pending go first, so the histograms see the stream's order.
        if !latencyBatch.isEmpty { mergePendingLatencies() }
        if maxRows > 0 { addEntities(of: e) }
        // Worker and server events: the state machine the batch loop runs too.
        let (folded, _) = Self.withHotFold(
            workers: &workers, servers: &servers, kindCounts: &kindCounts, allWakeToRun: &allWakeToRun,
            allRunLength: &allRunLength, eventsTotal: &eventsTotal, latestTimestamp: &latestTimestamp,
            lookup: &lookup, latency: DirectLatency()
        ) { hot in hot.fold(e) }
        if let folded { return folded >= 0 ? Int(folded) : nil }
        eventsTotal &+= 1
        kindCounts[Int(e.kind.rawValue)] &+= 1
        if e.timestamp > latestTimestamp { latestTimestamp = e.timestamp }
        switch e.kind {
        case .baselineSample:
            baselineSample(e)
        case .dropped:
            markerDropped = markerDropped.saturatingAdd(e.arg)
            markUnknown(server: e.server, worker: e.worker)
        default:
            break
        }
        return nil
    }

    private mutating func baselineSample(_ e: TraceEvent) {
        guard e.worker <= UInt32(UInt8.max), let m = BaselineMethod(rawValue: UInt8(e.worker)),
            Int(m.rawValue) < baselineSampleCycles.count
        else { return }
        let slice = baselineSlices.slice(endingAt: e.timestamp)
        // The first sample's slice has no known start: neither its cycles nor its time are counted.
        if let slice {
            baselineSampleCycles[Int(m.rawValue)] &+= e.arg
            baselineSampleActiveNanos[Int(m.rawValue)] &+= slice.activeNanos
        }
        hasBaselineSamples[Int(m.rawValue)] = true
    }

    /// A gap: rings are per server, so every worker last seen on the marker's server may have
    /// lost events (plus the worker the marker names); with no valid server, every worker.
    /// Runs in progress are forgotten by the tallies.
    mutating func markUnknown(server: UInt16, worker: UInt32) {
        let onServer = serverSlot(server) != nil
        if onServer || worker == TraceEvent.noWorker {
            for w in workers.indices where !onServer || workers[w].server == server {
                if workers[w].state != .exited { workers[w].state = .unknown }
            }
        }
        if let w = workerSlot(worker), workers[w].state != .exited {
            workers[w].state = .unknown
        }
        for w in workers.indices { workers[w].tally.runStart = nil }
    }
}
