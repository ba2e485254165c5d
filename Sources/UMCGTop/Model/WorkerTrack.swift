import UMCGSystem
import UMCGTrace

/// The dashboard's rate windows for one worker (its state and totals live in the shared fold).
struct WorkerTrack: Sendable {
    var switchWindow = CounterWindow()
    var runWindow = CounterWindow()
    var runnableWindow = CounterWindow()
    var blockedWindow = CounterWindow()
    /// `wakeToRun.count` when its percentiles were last computed.
    var percentileCount: UInt64 = 0
}

/// The dashboard's rate windows for one server (its state and totals live in the shared fold).
struct ServerTrack: Sendable {
    var switchWindow = CounterWindow()
    var busyWindow = CounterWindow()
}

/// The aggregator's bookkeeping for one baseline method.
struct BaselineTrack: Sendable {
    /// Cycles over active ns, from snapshot counters.
    var counterWindow = CounterWindow()
    var hasCounters = false
    var sampleWindow = CounterWindow()
    var placement: String?
}
