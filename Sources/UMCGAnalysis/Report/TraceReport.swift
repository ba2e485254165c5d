import UMCGTrace

/// What `umcgtop report` prints: the file summary, event counts per kind, and per-worker scheduling
/// statistics in the spirit of `perf sched latency`, computed by one pass over a trace.
public struct TraceReport: Sendable {
    /// One worker's line.
    public struct WorkerRow: Sendable, Equatable {
        /// Dense worker id.
        public var id: UInt32
        /// Name from the header (or "w<id>" / "srv<id>").
        public var name: String
        /// Switches to it (worker) / by it (server).
        public var switches: UInt64 = 0
        /// Blocking sections entered.
        public var blocks: UInt64 = 0
        /// Times it became runnable.
        public var wakes: UInt64 = 0
        /// Yields (UMCG_WAIT).
        public var waits: UInt64 = 0
        /// Preemptions.
        public var preemptions: UInt64 = 0
        /// Timeouts.
        public var timeouts: UInt64 = 0
        /// Direct handoffs to another worker.
        public var handoffs: UInt64 = 0
        /// ns between a switch to the worker and the event that ended that run (wait, block, preempt, handoff, exit).
        public var runNanos: UInt64 = 0
        /// wake→run latency: the `arg` of switch events that carry it.
        public var wakeToRun = LatencyStats()
    }

    /// One server's line.
    public struct ServerRow: Sendable, Equatable {
        /// Dense server id.
        public var id: UInt16
        /// Name from the header (or "w<id>" / "srv<id>").
        public var name: String
        /// Switches to it (worker) / by it (server).
        public var switches: UInt64 = 0
        /// Times it went idle.
        public var idles: UInt64 = 0
        /// ns idle, from server-wake events' `arg`.
        public var idleNanos: UInt64 = 0
    }

    /// The header of the file.
    public var info: RunInfo
    /// The reader's summary.
    public var summary: TraceSummary
    /// Events per kind (every kind except `.dropped`, which gaps count), in raw-value order.
    public var eventCounts: [(kind: TraceEventKind, count: UInt64)]
    /// Workers, by id.
    public var workers: [WorkerRow]
    /// Servers, by id.
    public var servers: [ServerRow]
    /// The last keyframe (lossless engine counters), if any.
    public var lastKeyframe: Snapshot?

    /// Events per byte accounting: file bytes / events (0 without events).
    public var bytesPerEvent: Double { summary.events == 0 ? 0 : Double(summary.bytes) / Double(summary.events) }

    /// Reads every record of `reader` once and folds it.
    public init(reader: TraceReader) throws {
        info = reader.info
        summary = reader.summary
        var fold = ReportFold(info: reader.info)
        try reader.forEachRecord { fold.add($0) }
        eventCounts = TraceEventKind.allCases.filter { $0 != .dropped }.map { ($0, fold.counts[Int($0.rawValue)]) }
        workers = fold.workers.values.sorted { $0.id < $1.id }
        servers = fold.servers.values.sorted { $0.id < $1.id }
        lastKeyframe = fold.lastKeyframe
    }
}

/// The per-record fold behind `TraceReport`.
struct ReportFold {
    var counts = [UInt64](repeating: 0, count: 256)
    var workers: [UInt32: TraceReport.WorkerRow] = [:]
    var servers: [UInt16: TraceReport.ServerRow] = [:]
    /// When each running worker was switched in.
    var runStart: [UInt32: UInt64] = [:]
    var lastKeyframe: Snapshot?
    private let workerNames: [UInt32: String]
    private let serverNames: [UInt32: String]
    /// Bounds the rows a hostile file can create.
    private static let maxRows = 1 << 16

    init(info: RunInfo) {
        var w: [UInt32: String] = [:]
        var s: [UInt32: String] = [:]
        for e in info.entities {
            if e.kind == .worker { w[e.id] = e.name } else { s[e.id] = e.name }
        }
        workerNames = w
        serverNames = s
        for (id, name) in w { workers[id] = TraceReport.WorkerRow(id: id, name: name) }
        for (id, name) in s where id <= UInt32(UInt16.max) {
            servers[UInt16(id)] = TraceReport.ServerRow(id: UInt16(id), name: name)
        }
    }

    mutating func add(_ record: TraceRecord) {
        switch record {
        case .keyframe(let snapshot): lastKeyframe = snapshot
        case .gap: runStart.removeAll()  // runs in progress are unknown now
        case .event(let e): add(e)
        }
    }

    private mutating func add(_ e: TraceEvent) {
        counts[Int(e.kind.rawValue)] += 1
        if e.server != TraceEvent.noServer, e.kind == .switchTo || e.kind == .serverIdle || e.kind == .serverWake,
            servers[e.server] != nil || servers.count < Self.maxRows
        {
            let name = serverNames[UInt32(e.server)]
            // In place (the default subscript's modify accessor): no copy of the row per event.
            Self.apply(
                e, to: &servers[e.server, default: TraceReport.ServerRow(id: e.server, name: name ?? "srv\(e.server)")])
        }
        guard e.worker != TraceEvent.noWorker, e.kind != .baselineSample, e.kind != .serverIdle,
            e.kind != .serverWake, e.kind != .keyframe,
            workers[e.worker] != nil || workers.count < Self.maxRows
        else { return }
        var runEnded: UInt64?
        switch e.kind {
        case .switchTo: runStart[e.worker] = e.timestamp
        case .block, .wait, .preempt, .handoff, .exit:
            if let start = runStart.removeValue(forKey: e.worker), e.timestamp >= start {
                runEnded = e.timestamp - start
            }
        default: break
        }
        let name = workerNames[e.worker]
        // In place: a copied row would copy its latency samples on every event.
        Self.apply(
            e, runNanos: runEnded,
            to: &workers[e.worker, default: TraceReport.WorkerRow(id: e.worker, name: name ?? "w\(e.worker)")])
    }

    private static func apply(_ e: TraceEvent, to row: inout TraceReport.ServerRow) {
        switch e.kind {
        case .switchTo: row.switches += 1
        case .serverIdle: row.idles += 1
        default: row.idleNanos &+= e.arg
        }
    }

    private static func apply(_ e: TraceEvent, runNanos: UInt64?, to row: inout TraceReport.WorkerRow) {
        switch e.kind {
        case .switchTo:
            row.switches += 1
            if e.arg > 0 { row.wakeToRun.add(e.arg) }
        case .block: row.blocks += 1
        case .wake: row.wakes += 1
        case .wait: row.waits += 1
        case .preempt: row.preemptions += 1
        case .timeout: row.timeouts += 1
        case .handoff: row.handoffs += 1
        default: break
        }
        if let runNanos { row.runNanos &+= runNanos }
    }
}
