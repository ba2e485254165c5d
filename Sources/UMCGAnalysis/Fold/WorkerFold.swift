import UMCGTrace

/// Everything the fold knows about one worker: its state, where it runs, lossless-style totals,
/// latency histograms, and the raw event tally.
///
/// Totals are `base` (the latest snapshot, lossless) plus `since` (events stamped after it) plus
/// the time spent in the current state so far (`totals(at:)`). `tally` counts every event seen,
/// snapshots or not.
public struct WorkerFold: Sendable {
    /// Worker id.
    public let id: UInt32
    /// The state to show: what events say, or `.unknown` after a gap until the next snapshot.
    public internal(set) var state: WorkerState = .unregistered
    /// The state events say it is in (`state` may show `.unknown` instead).
    public internal(set) var eventState: WorkerState = .unregistered
    /// When `eventState` began (or the snapshot time).
    public internal(set) var stateSince: UInt64 = 0
    /// The server it runs on or last ran on, `TraceEvent.noServer` if none.
    public internal(set) var server: UInt16 = TraceEvent.noServer
    /// Why it last blocked, nil if it never did.
    public internal(set) var lastBlockReason: BlockReason?
    /// Wake→run latency (ns runnable before being switched to).
    public internal(set) var wakeToRun = LatencyHistogram()
    /// Run lengths (ns from switch-in to block/wait/preempt/handoff).
    public internal(set) var runLength = LatencyHistogram()
    /// Totals of the latest snapshot (zero without one).
    public internal(set) var base = WorkerTotals()
    /// Totals of events stamped after the latest snapshot, time in the current state excluded.
    public internal(set) var since = WorkerTotals()
    /// Timestamp of the snapshot `base` came from, 0 if none.
    public internal(set) var snapTime: UInt64 = 0
    /// Every event of this worker, counted as it came (no snapshots, no reordering).
    public internal(set) var tally: WorkerTally
    /// When it was last switched in, 0 if not running.
    var runStart: UInt64 = 0
    /// When it last became runnable, 0 if unknown.
    var runnableSince: UInt64 = 0

    /// Creates a worker that has not registered yet.
    init(id: UInt32, keepsLatencySamples: Bool) {
        self.id = id
        tally = WorkerTally(keepsLatencySamples: keepsLatencySamples)
    }

    /// Totals at `now`, including the time spent in the current state so far.
    public func totals(at now: UInt64) -> WorkerTotals {
        var t = base
        t.switches &+= since.switches
        t.blocks &+= since.blocks
        t.wakes &+= since.wakes
        t.waits &+= since.waits
        t.preemptions &+= since.preemptions
        t.timeouts &+= since.timeouts
        t.runNanos &+= since.runNanos
        t.runnableNanos &+= since.runnableNanos
        t.blockedNanos &+= since.blockedNanos
        if now > stateSince { Self.addTime(now - stateSince, for: eventState, to: &t) }
        return t
    }

    /// Adds `ns` to the time bucket of `state`.
    static func addTime(_ ns: UInt64, for state: WorkerState, to t: inout WorkerTotals) {
        switch state {
        case .running: t.runNanos &+= ns
        case .idle, .runnable, .waiting: t.runnableNanos &+= ns
        case .blocked: t.blockedNanos &+= ns
        case .unregistered, .exited, .unknown: break
        }
    }

    /// Moves to `newState` at `ts`, booking the time spent in the old state.
    /// Events older than the current state's start don't change the state.
    /// An exited worker stays exited (late events of it only count) unless it registers again.
    @inline(__always)
    mutating func transition(to newState: WorkerState, at ts: UInt64) -> Bool {
        guard ts >= stateSince else { return false }
        if eventState == .exited, newState != .idle { return false }
        if ts > stateSince, ts > snapTime { Self.addTime(ts - stateSince, for: eventState, to: &since) }
        eventState = newState
        stateSince = ts
        return true
    }

    /// Moves to `newState` (see `transition`) and shows it unless the worker is unknown.
    @inline(__always)
    mutating func show(_ newState: WorkerState, at ts: UInt64) -> Bool {
        guard transition(to: newState, at: ts) else { return false }
        if state != .unknown { state = newState }
        return true
    }
}

/// Raw counts of one worker's events, in file order, with no snapshot corrections: what
/// `umcgtop report` prints.
public struct WorkerTally: Sendable, Equatable {
    /// Switches to it.
    public internal(set) var switches: UInt64 = 0
    /// Blocking sections entered.
    public internal(set) var blocks: UInt64 = 0
    /// Times it became runnable.
    public internal(set) var wakes: UInt64 = 0
    /// Yields (UMCG_WAIT).
    public internal(set) var waits: UInt64 = 0
    /// Preemptions.
    public internal(set) var preemptions: UInt64 = 0
    /// Timeouts.
    public internal(set) var timeouts: UInt64 = 0
    /// Direct handoffs to another worker.
    public internal(set) var handoffs: UInt64 = 0
    /// ns between a switch to the worker and the event that ended that run (wait, block, preempt,
    /// handoff, exit); a gap forgets runs in progress.
    public internal(set) var runNanos: UInt64 = 0
    /// wake→run latency samples (the `arg` of switch events that carry it), nil unless kept.
    public internal(set) var wakeToRun: LatencyStats?
    /// When the run in progress started, by the last switch event.
    var runStart: UInt64?

    /// Creates zero counts, keeping latency samples if asked to.
    init(keepsLatencySamples: Bool) {
        wakeToRun = keepsLatencySamples ? LatencyStats() : nil
    }

    /// Counts `e`, an event of this worker.
    @inline(__always)
    mutating func count(_ e: TraceEvent) {
        var runEnded: UInt64?
        switch e.kind {
        case .switchTo: runStart = e.timestamp
        case .block, .wait, .preempt, .handoff, .exit:
            if let start = runStart, e.timestamp >= start { runEnded = e.timestamp - start }
            runStart = nil
        default: break
        }
        switch e.kind {
        case .switchTo:
            switches += 1
            if e.arg > 0 { wakeToRun?.add(e.arg) }
        case .block: blocks += 1
        case .wake: wakes += 1
        case .wait: waits += 1
        case .preempt: preemptions += 1
        case .timeout: timeouts += 1
        case .handoff: handoffs += 1
        default: break
        }
        if let runEnded { runNanos &+= runEnded }
    }
}
