import UMCGSystem
import UMCGTrace

/// Lossless counters: a snapshot (live poll or replay keyframe) resets every total it covers,
/// so lost events never leave a worker looking stuck; it also ends "unknown" states.
extension FoldState {
    /// Folds a snapshot. Snapshots older than one already folded are ignored per entity.
    mutating func ingest(snapshot: Snapshot) {
        let ts = snapshot.timestamp
        if ts > latestTimestamp { latestTimestamp = ts }
        if snapshot.droppedEvents > snapshotDropped { snapshotDropped = snapshot.droppedEvents }
        for c in snapshot.workers {
            let w = Int(c.id)
            guard w < workerRows.count, ts >= workerTracks[w].snapTime else { continue }
            var base = WorkerTotals()
            base.switches = c.switches
            base.blocks = c.blocks
            base.wakes = c.wakes
            base.waits = c.waits
            base.preemptions = c.preemptions
            base.timeouts = c.timeouts
            base.runNanos = c.runNanos
            base.runnableNanos = c.runnableNanos
            base.blockedNanos = c.blockedNanos
            // Events newer than the snapshot already told a newer state: keep it.
            let newerEvents = workerTracks[w].stateSince > ts && workerRows[w].state != .unknown
            workerTracks[w].base = base
            workerTracks[w].since = WorkerTotals()
            workerTracks[w].snapTime = ts
            if newerEvents { continue }
            if workerTracks[w].state != c.state {
                workerTracks[w].runStart = c.state == .running ? ts : 0
                workerTracks[w].runnableSince = [.idle, .runnable, .waiting].contains(c.state) ? ts : 0
            }
            workerTracks[w].state = c.state
            workerTracks[w].stateSince = ts
            workerRows[w].state = c.state
            workerRows[w].server = c.server
        }
        for c in snapshot.servers {
            let s = Int(c.id)
            guard s < serverRows.count, ts >= serverTracks[s].snapTime else { continue }
            serverTracks[s].baseSwitches = c.switches
            serverTracks[s].sinceSwitches = 0
            serverTracks[s].baseBusy = c.busyNanos
            serverTracks[s].sinceBusy = 0
            serverTracks[s].snapTime = ts
            serverTracks[s].busySince = c.state == .running ? ts : 0
            serverRows[s].state = c.state
            serverRows[s].currentWorker = c.currentWorker
            serverRows[s].runQueueDepth = c.runQueueDepth
        }
        for b in snapshot.baselines {
            let i = Int(b.method.rawValue)
            guard i < baselines.count else { continue }
            baselines[i].counterWindow.push(time: b.activeNanos, total: b.cycles)
            baselines[i].hasCounters = true
            baselines[i].placement = b.placement
        }
    }
}
