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

    /// Header workers not listed: declared beyond `maxDeclaredRows` and never seen in an event or keyframe.
    public var unlistedWorkers = 0
    /// Header servers not listed, as `unlistedWorkers`.
    public var unlistedServers = 0
    /// The error that stopped reading at a checksum-valid record whose payload does not decode
    /// (the records before it are reported), nil when every readable record was read.
    public var stoppedBy: TraceFileError?

    /// The one warning line for this file (without the path): the scan's (cut short, corrupt) and the
    /// record that stopped reading, nil for a clean file.
    public var warning: String? { Self.warning(scan: summary.warning, stoppedBy: stoppedBy, verb: "reported") }

    /// Reads every record of `reader` once and folds it with `EventFold` (sparse: the header's
    /// entities, at most `maxDeclaredRows` of each kind, plus up to `maxRows` first seen in events,
    /// since the file is untrusted). A record that does not decode ends the report there (`stoppedBy`);
    /// system errors (a failed read) are thrown.
    public init(reader: TraceReader) throws {
        info = reader.info
        summary = reader.summary
        var declaredWorkers: [UInt32] = []
        var declaredServers: [UInt16] = []
        for e in reader.info.entities {
            switch e.kind {
            case .worker:
                if declaredWorkers.count < Self.maxDeclaredRows {
                    declaredWorkers.append(e.id)
                } else {
                    unlistedWorkers += 1
                }
            case .server:
                guard e.id <= UInt32(UInt16.max) else { continue }
                if declaredServers.count < Self.maxDeclaredRows {
                    declaredServers.append(UInt16(e.id))
                } else {
                    unlistedServers += 1
                }
            }
        }
        var fold = EventFold(
            declaredWorkers: declaredWorkers, declaredServers: declaredServers, maxRows: Self.maxRows,
            keepsLatencySamples: true)
        do {
            try reader.forEachRecord { record in
                switch record {
                case .keyframe(let snapshot): fold.ingest(snapshot: snapshot)
                case .gap(let gap): fold.ingest(gap: gap)
                case .event(let e): fold.ingest(e)
                }
            }
        } catch let error as TraceFileError {
            guard case .invalid = error else { throw error }
            stoppedBy = error
        }
        eventCounts = TraceEventKind.allCases.filter { $0 != .dropped }.map { ($0, fold.kindCounts[Int($0.rawValue)]) }
        // Names only for the rows listed: memory follows the rows, not the header's entity count.
        let workerIDs = Set(fold.workers.map(\.id))
        let serverIDs = Set(fold.servers.map { UInt32($0.id) })
        var workerNames: [UInt32: String] = [:]
        var serverNames: [UInt32: String] = [:]
        for e in reader.info.entities {
            if e.kind == .worker {
                if workerIDs.contains(e.id), workerNames[e.id] == nil { workerNames[e.id] = e.name }
            } else if serverIDs.contains(e.id), serverNames[e.id] == nil {
                serverNames[e.id] = e.name
            }
        }
        // Declared beyond the cap but seen in events: listed, so not "unlisted".
        unlistedWorkers = max(0, unlistedWorkers - (fold.workers.count - declaredWorkers.count))
        unlistedServers = max(0, unlistedServers - (fold.servers.count - declaredServers.count))
        workers = fold.workers.sorted { $0.id < $1.id }.map { w in
            WorkerRow(w.id, name: workerNames[w.id] ?? "w\(w.id)", tally: w.tally)
        }
        servers = fold.servers.sorted { $0.id < $1.id }.map { s in
            ServerRow(s.id, name: serverNames[UInt32(s.id)] ?? "srv\(s.id)", tally: s.tally)
        }
        lastKeyframe = fold.lastSnapshot
    }

    /// Bounds the rows a hostile file can create from events.
    static let maxRows = 1 << 16
    /// Header entities of each kind listed even without events; more are counted, not listed.
    public static let maxDeclaredRows = 4_096

    /// The one warning line `report` and `export` print for a file (without the path): the scan's warning
    /// and, when a checksum-valid record did not decode, where reading stopped (`verb`: what happened to the
    /// records before it, "reported" or "exported").
    public static func warning(scan: String?, stoppedBy: TraceFileError?, verb: String) -> String? {
        guard let stoppedBy else { return scan }
        let stop = "stopped at an undecodable record: \(stoppedBy.description); \(verb) the records before it"
        guard let scan else { return stop }
        return stop + "; also " + scan
    }
}

extension TraceReport.WorkerRow {
    /// A worker's line from its tally in the fold.
    init(_ id: UInt32, name: String, tally t: WorkerTally) {
        self.init(id: id, name: name)
        switches = t.switches
        blocks = t.blocks
        wakes = t.wakes
        waits = t.waits
        preemptions = t.preemptions
        timeouts = t.timeouts
        handoffs = t.handoffs
        runNanos = t.runNanos
        wakeToRun = t.wakeToRun ?? LatencyStats()
    }
}

extension TraceReport.ServerRow {
    /// A server's line from its tally in the fold.
    init(_ id: UInt16, name: String, tally t: ServerTally) {
        self.init(id: id, name: name)
        switches = t.switches
        idles = t.idles
        idleNanos = t.idleNanos
    }
}
