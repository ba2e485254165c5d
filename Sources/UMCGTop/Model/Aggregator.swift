import UMCGSystem
import UMCGTrace

/// Folds trace events and lossless snapshots into a `DashboardModel`, deterministically: the
/// shared `EventFold` keeps state and counters, `FoldState` the dashboard's windows and histories.
///
/// Threading rule: one thread (the UI loop) calls everything, with one exception: `foldSink()`
/// hands the folding of events to another thread (an attach pump, which then folds as it
/// drains), after which the fold is behind a lock that every access takes. `ingest` never allocates in the
/// steady state: entity tables are preallocated arrays indexed by dense id, and ids outside the
/// entity table are ignored (replay input is untrusted). `tick(now:)` closes a rate window and
/// publishes into `model` (unless the live UI is paused); the app may edit `model.ui` and the
/// app-owned status fields (recording, replay, warning, UI CPU) at any time.
///
/// Live use: each tick, drain the rings into `ingest(_:)`, then poll the engine's counters into
/// `ingest(snapshot:)` (a snapshot taken after the drain covers every drained event), then call
/// `tick(now:)` at the refresh interval. Replay: feed events up to the clock's position, keyframes
/// as snapshots, and tick with the clock's position; after a backward seek call `reset()` and
/// refeed from the keyframe. On a terminal resize call `apply(.resize(width:height:))`.
public final class Aggregator {
    /// Largest server table kept (higher ids are ignored): bounds memory on untrusted input.
    public static let maxServers = 256
    /// Largest worker table kept (higher ids are ignored): `Engine.maxWorkers`, so the dashboard shows
    /// every worker the engine can run (a test keeps the two equal; Model does not import the engine).
    public static let maxWorkers = 100_000
    /// Samples of per-worker history (a sparkline column needs no more).
    public static let workerHistoryCapacity = 64

    /// What the views draw.
    public var model: DashboardModel
    /// Replay: close a rate window every this many ns of trace time while folding (0 = only at
    /// `tick`). Rates then depend on the trace alone, not on playback speed or seeks: after a seek
    /// the refeed from the keyframe rebuilds them. Defaults to 100 ms in replay, 0 live.
    public var autoSampleNanos: UInt64
    /// The run this aggregator folds.
    public let info: RunInfo
    /// Receives a metrics snapshot after every tick (even while the UI is paused), if set.
    public var metricsSink: (any MetricsSink)?
    /// The fold's state, accessed through `fold` (which locks once `foldSink()` shared it).
    let foldBox: FoldBox

    /// The fold's state; under the box's lock once shared. A read copies the state (a `_read`
    /// yielding the box's value under the lock crashed in `publish` in debug and ASan builds, an
    /// over-release of an `EventFold` copy, not reduced to a small case): the reads made per event
    /// or per tick go through `foldBox.access` instead, in place.
    var fold: FoldState {
        get {
            foldBox.lock()
            defer { foldBox.unlock() }
            return foldBox.state
        }
        _modify {
            foldBox.lock()
            defer { foldBox.unlock() }
            yield &foldBox.state
        }
    }

    /// Creates an aggregator for the entities of `info`.
    public init(info: RunInfo, mode: DashboardMode, options: DashboardOptions) {
        self.info = info
        let m = DashboardModel(info: info, mode: mode, options: options)
        model = m
        foldBox = FoldBox(FoldState(model: m))
        autoSampleNanos = mode.isReplay ? 100_000_000 : 0
    }

    /// Forgets all folded data (for a replay seek) but keeps the UI state and app-owned status.
    public func reset() {
        var fresh = DashboardModel(info: info, mode: model.mode, options: model.options)
        fresh.ui = model.ui
        fresh.status.recordingPath = model.status.recordingPath
        fresh.status.recordingBytes = model.status.recordingBytes
        fresh.status.replay = model.status.replay
        fresh.status.warning = model.status.warning
        fresh.status.uiCPUPercent = model.status.uiCPUPercent
        fresh.status.targetEnded = model.status.targetEnded
        model = fresh
        fold = FoldState(model: fresh)
    }

    /// Applies a UI action to the model (see `DashboardModel.apply`).
    public func apply(_ action: Action) -> Reaction { model.apply(action) }

    /// Copies a replay clock's position, length, speed and play state into the status line.
    public func showReplay(_ clock: ReplayClock) { model.status.replay = clock.status }

    /// Timestamp of the newest event or snapshot seen.
    public var latestTraceTime: UInt64 { foldBox.access { $0.latestTimestamp } }

    /// Folds one event. Events with ids outside the entity table change nothing but counts.
    public func ingest(_ event: TraceEvent) {
        if autoSampleNanos > 0, event.timestamp >= foldBox.access({ $0.nextAutoSample }) {
            autoSample(upTo: event.timestamp)
        }
        fold.ingest(event)
    }

    /// Folds up to `limit` events waiting in `ring` (the pump's tap), oldest first, as `ingest(_:)`
    /// would one by one; returns how many. Consumer of `ring` only. One access to the fold for the
    /// whole batch instead of one per event.
    @discardableResult
    public func ingest(draining ring: TraceRing, limit: Int) -> Int {
        guard autoSampleNanos == 0 else { return ring.drain(limit: limit) { ingest($0) } }
        return fold.ingest(draining: ring, limit: limit)
    }

    /// A function that folds a batch of events into this aggregator from any thread, as
    /// `ingest(_:)` would one by one: a pump calls it as it drains, so events are folded while
    /// still in cache and never copied into a tap. From now on every access to the fold locks; the
    /// caller folds nothing itself meanwhile. Nil for an aggregator that samples as it folds
    /// (`autoSampleNanos` > 0, replay): that folds on its own thread, event by event.
    public func foldSink() -> (@Sendable (UnsafeBufferPointer<TraceEvent>) -> Void)? {
        guard autoSampleNanos == 0 else { return nil }
        foldBox.share()
        return { [foldBox] batch in foldBox.ingest(batch) }
    }

    /// Folds a snapshot (live counters or a replay keyframe): its totals replace event-derived
    /// ones, and it ends "unknown" states. Snapshots older than one already folded are ignored per entity.
    public func ingest(snapshot: Snapshot) {
        if autoSampleNanos > 0, snapshot.timestamp >= foldBox.access({ $0.nextAutoSample }) {
            autoSample(upTo: snapshot.timestamp)
        }
        fold.ingest(snapshot: snapshot)
    }

    /// Samples at the last `autoSampleNanos` boundary at or before `t` (the grid starts after the
    /// first record). A long quiet stretch gives one sample, not one per boundary.
    func autoSample(upTo t: UInt64) {
        let period = autoSampleNanos
        guard period > 0 else { return }
        let refreshMillis = model.options.refreshMillis
        foldBox.access { fold in
            if fold.nextAutoSample == 0 {
                // Saturating: a timestamp within one period of 2^64 − 1 must not wrap the grid to 0.
                let (next, overflow) = (t / period * period).addingReportingOverflow(period)
                fold.nextAutoSample = overflow ? .max : next
                return
            }
            guard t >= fold.nextAutoSample else { return }
            let boundary = t / period * period
            if boundary >= fold.lastTick {
                fold.sample(at: boundary, refreshMillis: refreshMillis)
                fold.lastTick = boundary
            }
            let (next, overflow) = boundary.addingReportingOverflow(period)
            fold.nextAutoSample = overflow ? .max : next
        }
    }
}
