import UMCGSystem
import UMCGTrace

/// Where the dashboard's events come from: the running engine (`LiveSource`) or a trace file (`ReplaySource`).
///
/// Threading rule: the UI thread calls every method; a source may run its own threads inside.
public protocol EventSource: AnyObject {
    /// Facts about the run (backend, host, entities).
    var info: RunInfo { get }
    /// Moves up to `budget` waiting events, and fresh lossless counters, into `aggregator`.
    /// Returns the number of events moved. `now` is CLOCK_MONOTONIC ns.
    func pump(into aggregator: inout Aggregator, budget: Int, now: UInt64) -> Int
    /// Runs a replay command (play/pause, seek, speed); returns true when the view changed. Live sources ignore it.
    func perform(_ command: ReplayCommand, aggregator: inout Aggregator, now: UInt64) -> Bool
    /// Stops producing: joins threads, closes a recording (idempotent).
    func stop()
    /// Every entity's lossless counters now (after `stop()`: the final ones), if the source has them.
    func snapshot() -> Snapshot?
    /// A one-line note for the status line (recording error, truncated file), if any.
    var note: String? { get }
    /// Source-specific fields for the headless JSON summary (recording path and size, replay file).
    var summaryFields: [(String, JSONValue)] { get }
    /// The time rates are computed at: live, CLOCK_MONOTONIC `now`; replay, the clock's position.
    func traceTime(now: UInt64) -> UInt64
    /// True when nothing more will come (a replay at its end); headless runs stop there.
    var finished: Bool { get }
    /// False when the source folds as fast as it reads (an unpaced replay): a headless run then does not nap.
    var paced: Bool { get }
    /// The exit status a run that otherwise ends well should end with because the source's input
    /// went bad meanwhile (an attached region truncated under the viewer: 65), nil when it did not.
    var failureStatus: Int32? { get }
}

extension EventSource {
    /// Live default: wall time is trace time.
    public func traceTime(now: UInt64) -> UInt64 { now }

    /// Live default: never finished.
    public var finished: Bool { false }

    /// Live default: events come in wall time.
    public var paced: Bool { true }

    /// Default: the input never goes bad during a run.
    public var failureStatus: Int32? { nil }
}
