import UMCGTrace

/// Lossless counters and gaps: a snapshot (live poll or replay keyframe) resets every total it
/// covers, so lost events never leave a worker looking stuck; it also ends "unknown" states.
extension EventFold {
    /// Folds a gap record (events were lost here): like a `.dropped` marker, but not an event.
    public mutating func ingest(gap: TraceGap) {
        markerDropped = markerDropped.saturatingAdd(gap.count)
        markUnknown(server: gap.server, worker: gap.worker)
    }

    /// Folds a snapshot. Snapshots older than one already folded are ignored per entity.
    public mutating func ingest(snapshot: Snapshot) {
        lastSnapshot = snapshot
        let ts = snapshot.timestamp
        if ts > latestTimestamp { latestTimestamp = ts }
        if snapshot.droppedEvents > snapshotDropped { snapshotDropped = snapshot.droppedEvents }
        for c in snapshot.workers {
            guard let w = workerSlot(c.id), ts >= workers[w].snapTime else { continue }
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
            let newerEvents = workers[w].stateSince > ts && workers[w].state != .unknown
            workers[w].base = base
            workers[w].since = WorkerTotals()
            workers[w].snapTime = ts
            if newerEvents { continue }
            if workers[w].eventState != c.state {
                workers[w].runStart = c.state == .running ? ts : 0
                workers[w].runnableSince = [.idle, .runnable, .waiting].contains(c.state) ? ts : 0
            }
            workers[w].eventState = c.state
            workers[w].stateSince = ts
            workers[w].state = c.state
            workers[w].server = c.server
        }
        for c in snapshot.servers {
            guard let s = serverSlot(c.id), ts >= servers[s].snapTime else { continue }
            servers[s].baseSwitches = c.switches
            servers[s].sinceSwitches = 0
            servers[s].baseBusy = c.busyNanos
            servers[s].sinceBusy = 0
            servers[s].snapTime = ts
            servers[s].busySince = c.state == .running ? ts : 0
            servers[s].state = c.state
            servers[s].currentWorker = c.currentWorker
            if c.currentWorker != TraceEvent.noWorker { servers[s].lastWorker = c.currentWorker }
            servers[s].runQueueDepth = c.runQueueDepth
        }
    }
}
