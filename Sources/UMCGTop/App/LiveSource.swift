import UMCGEngine
import UMCGTrace

/// The running engine as an event source: Engine (the scenario) + LiveBaselines (futex,
/// condvar, UMCG ping-pongs in turn) + one TraceHub they both write into.
///
/// Every tick the UI drains the events waiting in the hub (bounded) and then polls the lossless
/// counters (`engine.snapshot()` + the baseline counters), so a dropped event never hides progress.
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
        /// Creates a configuration.
        public init(engine: EngineConfiguration, baselines: Bool = true, ringCapacity: Int = 1 << 16) {
            self.engine = engine
            self.baselines = baselines
            self.ringCapacity = ringCapacity
        }
    }

    public let info: RunInfo
    private let hub: TraceHub
    private let engine: Engine
    private let baselines: LiveBaselines?
    private var stopped = false
    /// Events moved to the UI so far.
    public private(set) var eventsDrained = 0

    /// Creates and starts the engine and baselines. Throws a one-line error (`EngineError`, `BaselineError`).
    public init(_ configuration: Configuration) throws {
        hub = TraceHub(ringCapacity: configuration.ringCapacity)
        var engineConfig = configuration.engine
        engineConfig.hub = hub
        engine = try Engine(engineConfig)
        if configuration.baselines {
            // Rest as long as each slice: the baselines take about half a CPU, not a whole one;
            // their rates count only active time, so they stay exact.
            baselines = try LiveBaselines(configuration: .init(sliceSeconds: 0.1, restSeconds: 0.1), hub: hub)
        } else {
            baselines = nil
        }
        info = engine.runInfo()
        try engine.start()
        do {
            try baselines?.start()
        } catch {
            engine.stop()
            throw error
        }
    }

    deinit { stop() }

    /// The engine's counters plus the baselines' (the keyframe content).
    public func currentSnapshot() -> Snapshot {
        var s = engine.snapshot()
        s.baselines = baselines?.counters() ?? []
        s.droppedEvents = hub.dropped
        return s
    }

    public func pump(into aggregator: inout Aggregator, budget: Int, now: UInt64) -> Int {
        let rings = max(1, hub.allRings.count)
        let n = hub.drain(limitPerRing: max(1, budget / rings)) { aggregator.ingest($0) }
        aggregator.ingest(snapshot: currentSnapshot())
        eventsDrained += n
        return n
    }

    public func perform(_ command: ReplayCommand, aggregator: inout Aggregator, now: UInt64) -> Bool { false }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        baselines?.stop()
        engine.stop()
    }

    public func snapshot() -> Snapshot? { currentSnapshot() }

    public var note: String? {
        let failed = baselines?.failures() ?? []
        guard let first = failed.first else { return nil }
        return "baseline \(first.method) stopped: \(first.reason)"
    }

    public var summaryFields: [(String, JSONValue)] {
        [("mode", .string("live")), ("failed_workers", .int(Int64(engine.failedWorkers)))]
    }
}
