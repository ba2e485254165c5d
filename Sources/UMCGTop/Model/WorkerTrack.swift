import UMCGSystem
import UMCGTrace

/// The aggregator's bookkeeping for one worker (not shown directly).
///
/// Totals are `base` (the latest snapshot, lossless) plus `since` (events stamped after it).
struct WorkerTrack: Sendable {
    var base = WorkerTotals()
    var since = WorkerTotals()
    /// Timestamp of the snapshot `base` came from, 0 if none.
    var snapTime: UInt64 = 0
    /// The state events say it is in (the row may show `.unknown` instead).
    var state: WorkerState = .unregistered
    /// When `state` began (or the snapshot time).
    var stateSince: UInt64 = 0
    /// When it was last switched in, 0 if not running.
    var runStart: UInt64 = 0
    /// When it last became runnable, 0 if unknown.
    var runnableSince: UInt64 = 0
    var switchWindow = CounterWindow()
    var runWindow = CounterWindow()
    var runnableWindow = CounterWindow()
    var blockedWindow = CounterWindow()
    /// `wakeToRun.count` when its percentiles were last computed.
    var percentileCount: UInt64 = 0

    /// Totals at `now`, including the time spent in the current state so far.
    func totals(at now: UInt64) -> WorkerTotals {
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
        if now > stateSince { Self.addTime(now - stateSince, for: state, to: &t) }
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
    mutating func transition(to newState: WorkerState, at ts: UInt64) -> Bool {
        guard ts >= stateSince else { return false }
        if state == .exited, newState != .idle { return false }
        if ts > stateSince, ts > snapTime { Self.addTime(ts - stateSince, for: state, to: &since) }
        state = newState
        stateSince = ts
        return true
    }
}

/// The aggregator's bookkeeping for one server.
struct ServerTrack: Sendable {
    var baseSwitches: UInt64 = 0
    var sinceSwitches: UInt64 = 0
    var baseBusy: UInt64 = 0
    var sinceBusy: UInt64 = 0
    var snapTime: UInt64 = 0
    /// When it started running workers, 0 if idle.
    var busySince: UInt64 = 0
    var switchWindow = CounterWindow()
    var busyWindow = CounterWindow()

    var switches: UInt64 { baseSwitches &+ sinceSwitches }

    func busy(at now: UInt64) -> UInt64 {
        var b = baseBusy &+ sinceBusy
        if busySince > 0, now > busySince { b &+= now - busySince }
        return b
    }
}

/// The aggregator's bookkeeping for one baseline method.
struct BaselineTrack: Sendable {
    /// Cycles over active ns, from snapshot counters.
    var counterWindow = CounterWindow()
    var hasCounters = false
    /// Cycles from `.baselineSample` events over trace time.
    var sampleCycles: UInt64 = 0
    var sampleWindow = CounterWindow()
    var hasSamples = false
    var placement: String?
}
