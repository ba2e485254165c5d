import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// The running engine as an event source: Engine (the scenario, or a program's own engine) +
/// LiveBaselines (futex, condvar, UMCG ping-pongs in turn) + one TraceHub they both write into +
/// a TracePump that drains the hub on its own thread, writes the recording (`--record`) and tees
/// every event into a tap ring.
///
/// A program shows its own engine with `LiveSource(engine:hub:)`; `umcgtop` builds the default
/// scenario's engine with `LiveSource(_:)`, which goes through the same initialiser. Workers
/// spawned while it runs get rows at the next `pump` (live view and `info`); the recording's
/// header keeps the entities of the start (the trace file has no record to add one later), so a
/// replay shows only those, while the events and keyframes of the later ones are in the file.
///
/// Every tick the UI drains the tap (bounded) and then polls the lossless counters
/// (`engine.snapshot()` + the baseline counters), so a dropped event never hides progress.
/// The live view and `--headless --record` build the same source, so they write the same file.
/// Threading rule: the UI thread calls everything; the engine and baselines run their own threads.
public final class LiveSource: EventSource {
    /// What to run.
    public struct Configuration: Sendable {
        /// The engine's scenario.
        public var engine: EngineConfiguration
        /// Run the baselines.
        public var baselines: Bool
        /// Slots per trace ring.
        public var ringCapacity: Int
        /// Record to this file.
        public var recordPath: String?
        /// Overwrite an existing recording.
        public var force: Bool
        /// Creates a configuration.
        public init(
            engine: EngineConfiguration, baselines: Bool = true, ringCapacity: Int = 1 << 16,
            recordPath: String? = nil, force: Bool = false
        ) {
            self.engine = engine
            self.baselines = baselines
            self.ringCapacity = ringCapacity
            self.recordPath = recordPath
            self.force = force
        }
    }

    /// The engine's run facts (with thread ids) at the start: the recording's header.
    public let startInfo: RunInfo
    /// The run facts with the entities of now (workers spawned since the start included).
    public var info: RunInfo {
        var now = startInfo
        now.entities = engine.entities
        return now
    }
    private let hub: TraceHub
    private let engine: Engine
    private let baselines: LiveBaselines?
    private let pump: TracePump
    private let recordPath: String?
    private var stopped = false
    private var finalError: TraceFileError?
    private var engineStopped = true
    private var pumps = 0
    /// Pumps per counter poll: every pump up to 2,048 workers, then one per 2,048 workers (at most 10).
    private let snapshotEvery: Int
    /// Workers the dashboard has rows for (`Engine.spawnedWorkerCount` when last looked).
    private var knownWorkers: Int
    /// Events moved to the UI so far.
    public private(set) var eventsDrained = 0

    /// Creates the engine of `configuration` and starts it, the baselines and the pump (and the
    /// recording file). Throws a one-line error (`EngineError`, `BaselineError`, `TraceFileError`).
    public convenience init(_ configuration: Configuration) throws {
        let hub = TraceHub(ringCapacity: configuration.ringCapacity)
        var engineConfig = configuration.engine
        engineConfig.hub = hub
        // umcgtop's own engine shows its events here, so UMCGTOP_PUBLISH=1 does not publish it.
        engineConfig.publishing = .never
        try self.init(
            engine: Engine(engineConfig), hub: hub, baselines: configuration.baselines,
            recordPath: configuration.recordPath, force: configuration.force)
    }

    /// Shows `engine` through the trace hub it was created with (`EngineConfiguration.hub`, e.g.
    /// from `EngineConfiguration.traced()`); see `init(engine:hub:baselines:recordPath:force:)`.
    /// Throws `EngineError` when the engine has no hub.
    public convenience init(engine: Engine, baselines: Bool = false, recordPath: String? = nil, force: Bool = false)
        throws
    {
        guard let hub = engine.configuration.hub else {
            throw EngineError("the engine has no trace hub: create it with EngineConfiguration(…).traced()")
        }
        try self.init(engine: engine, hub: hub, baselines: baselines, recordPath: recordPath, force: force)
    }

    /// Shows `engine`, created with `hub` as its `EngineConfiguration.hub`: starts it unless it
    /// was started, then the baselines (when asked: they take about half a CPU) and the pump
    /// (and the recording file). `stop()` stops the engine. Throws a one-line error
    /// (`EngineError`, `BaselineError`, `TraceFileError`); refuses a published engine
    /// (`Engine.isPublished`: its events are for `umcgtop --attach`).
    public init(
        engine: Engine, hub: TraceHub, baselines runBaselines: Bool = false, recordPath: String? = nil,
        force: Bool = false
    ) throws {
        guard engine.configuration.hub === hub else {
            throw EngineError("the engine writes into another trace hub: create it with EngineConfiguration(hub: hub)")
        }
        // A published engine's rings belong to the viewer in another process (one consumer per ring).
        guard !engine.isPublished else {
            throw EngineError(
                "the engine publishes its events for umcgtop --attach (published() or UMCGTOP_PUBLISH=1), so it cannot also be shown in-process"
            )
        }
        self.hub = hub
        self.engine = engine
        snapshotEvery = min(10, max(1, engine.workerCapacity / 2048))
        if runBaselines {
            // Rest as long as each slice: the baselines take about half a CPU, not a whole one;
            // their rates count only active time, so they stay exact.
            // The UMCG baseline runs on the backend the engine selected (the dashboard's UMCG row names it).
            let umcg = PingPongBackend.selected(
                engine.selection, selector: engine.configuration.selector ?? BackendSelector())
            baselines = try LiveBaselines(
                configuration: .init(sliceSeconds: 0.1, restSeconds: 0.1, umcgBackend: umcg), hub: hub)
        } else {
            baselines = nil
        }
        // Started first: runInfo() then carries every thread's tid. Events produced before the
        // pump runs wait in the hub's rings.
        if !engine.hasStarted { try engine.start() }
        let runInfo = engine.runInfo()
        startInfo = runInfo
        knownWorkers = runInfo.entities.filter { $0.kind == .worker }.count
        self.recordPath = recordPath
        var writer: TraceWriter?
        if let path = recordPath {
            do {
                writer = try TraceWriter(path: path, info: runInfo, force: force)
            } catch {
                engine.stop(timeout: 10)
                throw error
            }
        }
        let (engine, baselines, hub) = (engine, baselines, hub)
        pump = TracePump(
            hub: hub, info: runInfo, writer: writer,
            snapshot: { LiveSource.snapshot(engine: engine, baselines: baselines, hub: hub) },
            tapCapacity: 1 << 17)
        do {
            try baselines?.start()
        } catch {
            engine.stop(timeout: 10)
            finalError = pump.stop()
            throw error
        }
    }

    deinit { stop() }

    /// The engine's counters plus the baselines' (the keyframe content). Any thread.
    static func snapshot(engine: Engine, baselines: LiveBaselines?, hub: TraceHub) -> Snapshot {
        var s = engine.snapshot()
        s.baselines = baselines?.counters() ?? []
        s.droppedEvents = hub.dropped
        return s
    }

    /// The lossless counters now.
    public func currentSnapshot() -> Snapshot { Self.snapshot(engine: engine, baselines: baselines, hub: hub) }

    /// Drains the tap (bounded), then folds the lossless counters taken after the drain.
    public func pump(into aggregator: inout Aggregator, budget: Int, now: UInt64) -> Int {
        // Rows for workers spawned since the last look, before their events are folded.
        announceSpawnedWorkers(aggregator)
        let n = aggregator.ingest(draining: pump.tap, limit: budget)
        // Taken after the drain, so it covers every drained event. Large scenarios poll less often:
        // a snapshot copies every worker's counters.
        pumps &+= 1
        if pumps % snapshotEvery == 0 { aggregator.ingest(snapshot: currentSnapshot()) }
        if let recordPath {
            aggregator.model.status.recordingPath = recordPath
            aggregator.model.status.recordingBytes = pump.bytesWritten
        }
        eventsDrained += n
        return n
    }

    /// Rows for workers spawned since the last look, and an entity record for them in the recording
    /// (so a replay shows their names).
    private func announceSpawnedWorkers(_ aggregator: Aggregator?) {
        let spawned = engine.spawnedWorkerCount
        guard spawned > knownWorkers else { return }
        let entities = engine.entities
        aggregator?.addWorkers(entities)
        // Worker ids are `0..<spawnedWorkerCount`: the new ones are those at or past the last count.
        pump.announce(entities.filter { $0.kind == .worker && Int($0.id) >= knownWorkers })
        knownWorkers = spawned
    }

    /// Live sources have no clock to drive: nothing happens.
    public func perform(_ command: ReplayCommand, aggregator: inout Aggregator, now: UInt64) -> Bool { false }

    /// Stops the baselines and the engine (joining their threads), then the pump: it drains what
    /// is left, writes a final keyframe and the end record, and closes the file.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        baselines?.stop()
        engineStopped = engine.stop(timeout: 10)
        // Workers spawned since the dashboard last looked still get their entity record.
        announceSpawnedWorkers(nil)
        finalError = pump.stop()
    }

    /// The lossless counters now (after `stop()`: the final ones).
    public func snapshot() -> Snapshot? { currentSnapshot() }

    /// A recording error, an engine that did not stop, or a failed baseline.
    public var note: String? {
        if let error = finalError ?? pump.writeError { return "recording stopped: \(error.description)" }
        if !engineStopped { return "some engine threads did not stop within 10 s" }
        let failed = baselines?.failures() ?? []
        guard let first = failed.first else { return nil }
        return "baseline \(first.method) stopped: \(first.reason)"
    }

    /// `mode`, `failed_workers` and, when recording, `recording`.
    public var summaryFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("mode", .string("live")), ("failed_workers", .int(Int64(engine.failedWorkers))),
            ("migrations", .uint(engine.migrations)),
        ]
        if let recordPath {
            fields.append(("recording", pump.recordingSummary(path: recordPath, finalError: finalError)))
        }
        return fields
    }
}
