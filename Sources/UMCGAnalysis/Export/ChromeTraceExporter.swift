import UMCGTrace

/// Streams a recorded run into Chrome trace JSON (`{"traceEvents": [...]}`), which
/// chrome://tracing, Perfetto's UI and speedscope-like viewers open. Meant for small traces:
/// JSON costs about 100 bytes per event.
///
/// Layout: process 1 "umcgtop servers" has one thread per server lane carrying an "X"
/// (complete) event per worker run slice; process 2 "umcgtop workers" has one thread per
/// worker (tid = its exported pid) carrying "i" instants for block, wake, preempt, timeout,
/// exit and register; "C" counters on process 1 give switches/s of UMCG and the baselines;
/// gaps are global instants; "M" events name processes and threads. Timestamps are the
/// trace's CLOCK_MONOTONIC in microseconds with nanosecond decimals.
/// Memory is bounded: output is handed to the sink in chunks of about `flushBytes`.
public struct ChromeTraceExporter<Sink: ExportByteSink>: TraceExporter, PipelinedExporter {
    /// Output is handed to the sink in chunks of about this size.
    public static var flushBytes: Int { 64 * 1024 }
    /// pid of the server-lane process.
    public static var serverProcess: Int { 1 }
    /// pid of the worker process.
    public static var workerProcess: Int { 2 }

    /// The sink; read it after `finish()`.
    public private(set) var sink: Sink
    /// What was written so far.
    public internal(set) var stats = ExportStats()

    private let info: RunInfo
    private var threads: ExportThreadTable
    var pipeline = ExportPipeline()
    private var namedLanes: Set<UInt16> = []
    private var json = JSONWriter()
    var pendingTransitions: [ExportTransition] = []
    var pendingSamples: [CounterSample] = []
    private var started = false
    private var finished = false

    /// Creates an exporter for the run `info`, writing to `output`.
    public init(info: RunInfo, output: Sink) {
        self.info = info
        self.sink = output
        self.threads = ExportThreadTable(info: info)
    }

    /// Adds one trace event.
    public mutating func add(_ event: TraceEvent) throws(ExportError) { try take(.event(event)) }

    /// Adds one keyframe (baseline counters; lane resync after a gap).
    public mutating func add(_ snapshot: Snapshot) throws(ExportError) { try take(.snapshot(snapshot)) }

    /// Adds a gap record.
    public mutating func addGap(timestamp: UInt64, count: UInt64) throws(ExportError) {
        try take(.gap(timestamp: timestamp, count: count))
    }

    /// Closes open run slices at the last timestamp, writes the trailer and flushes. Call once.
    public mutating func finish() throws(ExportError) {
        try finishPipeline()
        let end = pipeline.timeline.lastTimestamp
        for open in pipeline.timeline.openSlices {
            slice(server: open.server, worker: open.worker, from: open.since, to: max(end, open.since), end: "open")
        }
        json.raw("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{")
        json.key("backend", first: true)
        json.string(info.backend)
        json.key("scenario")
        json.string(info.scenario)
        json.key("kernel")
        json.string(info.kernel)
        json.key("hostname")
        json.string(info.hostname)
        json.key("clock")
        json.string("CLOCK_MONOTONIC")
        json.raw("}}\n")
        try flush(force: true)
        finished = true
    }

    // MARK: - Writing

    mutating func begin() throws(ExportError) {
        guard !finished else { throw .alreadyFinished }
        guard !started else { return }
        started = true
        json.raw("{\"traceEvents\":[\n")
        metadata(pid: Self.serverProcess, tid: nil, name: "process_name", value: "umcgtop servers")
        metadata(pid: Self.workerProcess, tid: nil, name: "process_name", value: "umcgtop workers")
        for server in threads.tableServers where Int(server) < ExportTimeline.maxServers { nameLane(server) }
        for id in threads.tableWorkers {
            let thread = threads.lookup(id)
            metadata(pid: Self.workerProcess, tid: Int(thread.pid), name: "thread_name", value: thread.name)
        }
        try flush(force: false)
    }

    mutating func render(_ transition: ExportTransition) {
        switch transition {
        case .laneSwitch(let change):
            stats.switches += 1
            nameLane(change.server)
            if let prev = change.prev {
                slice(
                    server: change.server, worker: prev, from: change.prevSince, to: change.timestamp,
                    end: change.leave.label)
            }
        case .waking:
            stats.wakings += 1
        case .instant(let timestamp, let kind, let worker, let server, let arg):
            instant(timestamp: timestamp, kind: kind, worker: worker, server: server, arg: arg)
        case .gap(let timestamp, let count):
            stats.gaps += 1
            stats.instants += 1
            beginEvent(ph: "i", pid: Self.serverProcess, tid: 0, timestamp: timestamp, name: "dropped \(count) events")
            json.raw(",\"s\":\"g\",\"cat\":\"gap\",\"args\":{\"count\":\(count)}}")
        }
    }

    mutating func render(_ sample: CounterSample) {
        stats.counterSamples += 1
        beginEvent(ph: "C", pid: Self.serverProcess, tid: nil, timestamp: sample.timestamp, name: sample.track.name)
        // Rates come from untrusted counts: keep the conversion in Int64's range.
        let value = sample.value.isFinite && abs(sample.value) < 9e18 ? Int64(sample.value.rounded()) : 0
        json.raw(",\"args\":{\"value\":\(value)}}")
    }

    mutating func flushFull() throws(ExportError) { try flush(force: false) }

    private mutating func nameLane(_ server: UInt16) {
        guard namedLanes.insert(server).inserted else { return }
        metadata(pid: Self.serverProcess, tid: Int(server), name: "thread_name", value: threads.serverName(server))
    }

    private mutating func slice(server: UInt16, worker: UInt32, from start: UInt64, to end: UInt64, end reason: String)
    {
        let thread = threads.lookup(worker)
        beginEvent(ph: "X", pid: Self.serverProcess, tid: Int(server), timestamp: start, name: thread.name)
        json.raw(",\"dur\":")
        json.micros(end >= start ? end - start : 0)
        json.raw(",\"cat\":\"run\",\"args\":{\"worker\":\(worker),\"tid\":\(thread.pid),\"end\":")
        json.string(reason)
        json.raw("}}")
    }

    private mutating func instant(timestamp: UInt64, kind: TraceEventKind, worker: UInt32, server: UInt16?, arg: UInt64)
    {
        let (thread, isNew) = threads.worker(worker)
        if isNew { metadata(pid: Self.workerProcess, tid: Int(thread.pid), name: "thread_name", value: thread.name) }
        stats.instants += 1
        let name =
            kind == .block ? "block (\(BlockReason(rawValue: arg) ?? .other))" : kind.description
        beginEvent(ph: "i", pid: Self.workerProcess, tid: Int(thread.pid), timestamp: timestamp, name: name)
        json.raw(",\"s\":\"t\",\"cat\":\"umcg\",\"args\":{\"worker\":\(worker),\"arg\":\(arg)")
        if let server { json.raw(",\"server\":\(server)") }
        json.raw("}}")
    }

    private mutating func metadata(pid: Int, tid: Int?, name: String, value: String) {
        json.separator()
        json.raw("{\"ph\":\"M\",\"pid\":\(pid)")
        if let tid { json.raw(",\"tid\":\(tid)") }
        json.raw(",\"name\":\"\(name)\",\"args\":{\"name\":")
        json.string(value)
        json.raw("}}")
    }

    /// Opens an event object with ph, pid, tid, ts and name; the caller adds fields and `}`.
    private mutating func beginEvent(ph: String, pid: Int, tid: Int?, timestamp: UInt64, name: String) {
        json.separator()
        json.raw("{\"ph\":\"\(ph)\",\"pid\":\(pid)")
        if let tid { json.raw(",\"tid\":\(tid)") }
        json.raw(",\"ts\":")
        json.micros(timestamp)
        json.raw(",\"name\":")
        json.string(name)
    }

    private mutating func flush(force: Bool) throws(ExportError) {
        guard json.bytes.count > 0, force || json.bytes.count >= Self.flushBytes else { return }
        stats.bytes += UInt64(json.bytes.count)
        try sink.write(json.bytes)
        json.bytes.removeAll(keepingCapacity: true)
    }
}
