import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// The aggregator's folded tables and counters, one value so that folding an event costs one
/// exclusive access instead of one per field (class properties are checked dynamically).
struct FoldState {
    var workerRows: [WorkerRow]
    var workerTracks: [WorkerTrack]
    var serverRows: [ServerRow]
    var serverTracks: [ServerTrack]
    var rates: SwitchRates
    var baselines: [BaselineTrack]  // indexed by BaselineMethod.rawValue
    var engineCyclesWindow = CounterWindow()
    var eventsTotal: UInt64 = 0
    var eventsWindow = CounterWindow()
    var snapshotDropped: UInt64 = 0
    var markerDropped: UInt64 = 0
    var dropsWindow = CounterWindow()
    var lastTick: UInt64 = 0
    /// Status numbers computed at the last tick, published with the tables.
    var folded = FoldedStatus()
    var lastHistorySample: UInt64 = 0
    /// Next trace-time boundary for automatic sampling (replay), 0 before the first record.
    var nextAutoSample: UInt64 = 0
    var latestTimestamp: UInt64 = 0

    /// Empty tables shaped like `model`'s.
    init(model m: DashboardModel) {
        workerRows = m.workers
        workerTracks = Array(repeating: WorkerTrack(), count: m.workers.count)
        serverRows = m.servers
        serverTracks = Array(repeating: ServerTrack(), count: m.servers.count)
        rates = m.rates
        baselines = Array(repeating: BaselineTrack(), count: 4)
    }

    /// Folds one event. Events with ids outside the entity table change nothing but counts.
    mutating func ingest(_ e: TraceEvent) {
        eventsTotal &+= 1
        if e.timestamp > latestTimestamp { latestTimestamp = e.timestamp }
        switch e.kind {
        case .serverIdle:
            serverIdle(e)
            return
        case .serverWake:
            if Int(e.server) < serverRows.count { serverRows[Int(e.server)].state = .running }
            return
        case .baselineSample:
            baselineSample(e)
            return
        case .dropped:
            dropped(e)
            return
        case .keyframe:
            return
        default:
            break
        }
        let w = Int(e.worker)
        guard w < workerRows.count else { return }
        let ts = e.timestamp
        let counts = ts > workerTracks[w].snapTime
        workerRows[w].recent.append(RecentEvent(timestamp: ts, kind: e.kind, server: e.server, arg: e.arg))
        switch e.kind {
        case .register:
            if workerTracks[w].transition(to: .idle, at: ts) {
                workerTracks[w].runnableSince = ts
                setShownState(w, .idle)
            }
        case .exit:
            endRun(w, at: ts, record: false)
            if workerTracks[w].transition(to: .exited, at: ts) { setShownState(w, .exited) }
        case .switchTo:
            switchIn(w, server: e.server, at: ts, waited: e.arg, counts: counts)
        case .block:
            if counts { workerTracks[w].since.blocks &+= 1 }
            workerRows[w].lastBlockReason = BlockReason(rawValue: e.arg) ?? .other
            endRun(w, at: ts, record: true)
            if workerTracks[w].transition(to: .blocked, at: ts) { setShownState(w, .blocked) }
        case .wake:
            if counts { workerTracks[w].since.wakes &+= 1 }
            if workerTracks[w].transition(to: .runnable, at: ts) {
                workerTracks[w].runnableSince = ts
                setShownState(w, .runnable)
            }
        case .wait, .preempt:
            if counts {
                if e.kind == .wait {
                    workerTracks[w].since.waits &+= 1
                } else {
                    workerTracks[w].since.preemptions &+= 1
                }
            }
            if e.arg > 0 {
                workerRows[w].runLength.record(e.arg)
                endRun(w, at: ts, record: false)
            } else {
                endRun(w, at: ts, record: true)
            }
            let next: WorkerState = e.kind == .wait ? .waiting : .runnable
            if workerTracks[w].transition(to: next, at: ts) {
                workerTracks[w].runnableSince = ts
                setShownState(w, next)
            }
        case .timeout:
            if counts { workerTracks[w].since.timeouts &+= 1 }
            if workerTracks[w].state == .waiting, workerTracks[w].transition(to: .runnable, at: ts) {
                setShownState(w, .runnable)
            }
        case .handoff:
            endRun(w, at: ts, record: true)
            if workerTracks[w].transition(to: .waiting, at: ts) {
                workerTracks[w].runnableSince = ts
                setShownState(w, .waiting)
            }
            // The target now runs on this server. The engine counts no switch for a handoff
            // (its `.wait` was already counted), so neither do we: counters stay consistent.
            let target = e.arg < UInt64(workerRows.count) ? Int(e.arg) : -1
            if target >= 0, workerTracks[target].transition(to: .running, at: ts) {
                workerTracks[target].runStart = ts
                workerTracks[target].runnableSince = 0
                setShownState(target, .running)
                if Int(e.server) < serverRows.count {
                    workerRows[target].server = e.server
                    serverRows[Int(e.server)].currentWorker = UInt32(target)
                }
            }
        case .serverIdle, .serverWake, .baselineSample, .dropped, .keyframe:
            break
        }
    }

    /// Shows `state` unless the worker is unknown (after a gap, until the next snapshot).
    private mutating func setShownState(_ w: Int, _ state: WorkerState) {
        if workerRows[w].state != .unknown { workerRows[w].state = state }
    }

    private mutating func switchIn(_ w: Int, server s: UInt16, at ts: UInt64, waited: UInt64, counts: Bool) {
        if counts { workerTracks[w].since.switches &+= 1 }
        let since = workerTracks[w].runnableSince
        if waited > 0 {
            workerRows[w].wakeToRun.record(waited)
        } else if since > 0, ts >= since {
            workerRows[w].wakeToRun.record(ts - since)
        }
        if workerTracks[w].transition(to: .running, at: ts) {
            workerTracks[w].runStart = ts
            workerTracks[w].runnableSince = 0
            setShownState(w, .running)
            if s != TraceEvent.noServer { workerRows[w].server = s }
        }
        let si = Int(s)
        guard si < serverRows.count else { return }
        if ts > serverTracks[si].snapTime { serverTracks[si].sinceSwitches &+= 1 }
        serverRows[si].currentWorker = UInt32(w)
        serverRows[si].state = .running
        if serverTracks[si].busySince == 0 { serverTracks[si].busySince = max(ts, serverTracks[si].snapTime) }
    }

    /// The worker stops running: optionally records the run length and clears its server's current worker.
    private mutating func endRun(_ w: Int, at ts: UInt64, record: Bool) {
        let start = workerTracks[w].runStart
        if record, start > 0, ts >= start { workerRows[w].runLength.record(ts - start) }
        workerTracks[w].runStart = 0
        let s = Int(workerRows[w].server)
        if s < serverRows.count, serverRows[s].currentWorker == UInt32(w) {
            serverRows[s].currentWorker = TraceEvent.noWorker
        }
    }

    private mutating func serverIdle(_ e: TraceEvent) {
        let s = Int(e.server)
        guard s < serverRows.count else { return }
        serverRows[s].state = .idle
        serverRows[s].currentWorker = TraceEvent.noWorker
        let since = serverTracks[s].busySince
        if since > 0, e.timestamp > since, e.timestamp > serverTracks[s].snapTime {
            serverTracks[s].sinceBusy &+= e.timestamp - since
        }
        serverTracks[s].busySince = 0
    }

    private mutating func baselineSample(_ e: TraceEvent) {
        guard e.worker <= UInt32(UInt8.max), let m = BaselineMethod(rawValue: UInt8(e.worker)),
            Int(m.rawValue) < baselines.count
        else { return }
        baselines[Int(m.rawValue)].sampleCycles &+= e.arg
        baselines[Int(m.rawValue)].hasSamples = true
    }

    /// A gap: rings are per server, so every worker last seen on the marker's server may have
    /// lost events (plus the worker the marker names); with no valid server, every worker.
    private mutating func dropped(_ e: TraceEvent) {
        markerDropped &+= e.arg
        let onServer = Int(e.server) < serverRows.count
        if onServer || e.worker == TraceEvent.noWorker {
            for w in workerRows.indices where !onServer || workerRows[w].server == e.server {
                if workerRows[w].state != .exited { workerRows[w].state = .unknown }
            }
        }
        if Int(e.worker) < workerRows.count, workerRows[Int(e.worker)].state != .exited {
            workerRows[Int(e.worker)].state = .unknown
        }
    }
}

/// The status numbers the aggregator computes (published together with the tables).
struct FoldedStatus: Sendable {
    var eventsPerSecond: Double = 0
    var eventsTotal: UInt64 = 0
    var droppedTotal: UInt64 = 0
    var droppedRecent: UInt64 = 0
    var nowNanos: UInt64 = 0
}
