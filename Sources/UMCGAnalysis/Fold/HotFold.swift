import UMCGTrace

/// The fold's state machine for worker and server events, written once: `EventFold.ingest(_:)`
/// runs it for one event (latency values recorded at once), the batch loop
/// `EventFold.ingest(_:workerSlots:mergingLatencies:)` for runs of events (latency values pending
/// per bucket). The tables are raw pointers into the fold's arrays (see `EventFold.withHotFold`).
struct HotFold<Latency: FoldLatencySink> {
    let tables: FoldTables
    var latency: Latency
    var eventsTotal: UInt64
    var latestTimestamp: UInt64

    var workers: UnsafeMutableBufferPointer<WorkerFold> { tables.workers }
    var servers: UnsafeMutableBufferPointer<ServerFold> { tables.servers }

    /// The row of worker `id`, -1 if none.
    @inline(__always)
    func workerSlot(_ id: UInt32) -> Int {
        if Int(id) < tables.slotTable.count { return Int(tables.slotTable[Int(id)]) }
        return tables.sparseWorkers?.pointee[id] ?? -1
    }

    /// The row of server `id`, -1 if none (`noServer` never has one).
    @inline(__always)
    func serverSlot(_ id: UInt16) -> Int {
        if Int(id) < tables.denseServers { return Int(id) }
        return tables.sparseServers?.pointee[id] ?? -1
    }

    /// Folds `e` if it is a worker or server event: returns the row of the worker a worker event
    /// names (-1 if none, or for a server event). Returns nil, folding nothing, for a drop marker,
    /// keyframe or baseline sample (`EventFold.ingest(_:)` folds those).
    @inline(__always)
    mutating func fold(_ e: TraceEvent) -> Int32? {
        let kind = e.kind
        if kind == .dropped || kind == .keyframe || kind == .baselineSample { return nil }
        count(e)
        // The server's side: its own events, and the worker events it counts.
        let s = serverSlot(e.server)
        switch kind {
        case .serverIdle:
            if s >= 0 { serverIdle(e, s) }
            return -1
        case .serverWake:
            if s >= 0 {
                servers[s].tally.count(e)
                servers[s].state = .running
            }
            return -1
        case .switchTo:
            if s >= 0 { servers[s].tally.count(e) }
        case .block, .wait, .preempt, .wake:
            if s >= 0 { servers[s].workerEvents.count(e) }
        default:
            break
        }
        // The worker's side.
        let w = workerSlot(e.worker)
        guard w >= 0 else { return -1 }
        if tables.keepsWorkerTallies { workers[w].tally.count(e) }
        let ts = e.timestamp
        switch kind {
        case .switchTo:
            switchIn(e, w, s)
        case .block, .wait, .preempt:
            stop(e, w)
        case .wake:
            if ts > workers[w].snapTime { workers[w].since.wakes &+= 1 }
            if workers[w].show(.runnable, at: ts) { workers[w].runnableSince = ts }
        case .handoff:
            handoff(e, w, s)
        case .timeout:
            if ts > workers[w].snapTime { workers[w].since.timeouts &+= 1 }
            if workers[w].eventState == .waiting { _ = workers[w].show(.runnable, at: ts) }
        case .register:
            if workers[w].show(.idle, at: ts) { workers[w].runnableSince = ts }
        case .exit:
            endRun(w, at: ts, record: false)
            _ = workers[w].show(.exited, at: ts)
        case .serverIdle, .serverWake, .dropped, .keyframe, .baselineSample:
            break
        }
        return Int32(truncatingIfNeeded: w)
    }

    /// What every event adds: the totals, the kind's count, the newest timestamp.
    @inline(__always)
    mutating func count(_ e: TraceEvent) {
        eventsTotal &+= 1
        tables.kindCounts[Int(e.kind.rawValue)] &+= 1
        if e.timestamp > latestTimestamp { latestTimestamp = e.timestamp }
    }

    /// A switch to worker `w` on server row `s` (-1: none).
    @inline(__always)
    mutating func switchIn(_ e: TraceEvent, _ w: Int, _ s: Int) {
        let ts = e.timestamp
        if ts > workers[w].snapTime { workers[w].since.switches &+= 1 }
        let since = workers[w].runnableSince
        if e.arg > 0 {
            recordWakeToRun(e.arg, w)
        } else if since > 0, ts >= since {
            recordWakeToRun(ts - since, w)
        }
        if workers[w].show(.running, at: ts) {
            workers[w].runStart = ts
            workers[w].runnableSince = 0
            if e.server != TraceEvent.noServer { workers[w].server = e.server }
        }
        guard s >= 0 else { return }
        if ts > servers[s].snapTime { servers[s].sinceSwitches &+= 1 }
        servers[s].currentWorker = workers[w].id
        servers[s].lastWorker = workers[w].id
        servers[s].state = .running
        if servers[s].busySince == 0 { servers[s].busySince = max(ts, servers[s].snapTime) }
    }

    /// Worker `w` blocks, waits or is preempted. A wait or preemption that carries its run length
    /// (`arg`) records that instead of the one measured from the switch.
    @inline(__always)
    mutating func stop(_ e: TraceEvent, _ w: Int) {
        let ts = e.timestamp
        let counts = ts > workers[w].snapTime
        if e.kind == .block {
            if counts { workers[w].since.blocks &+= 1 }
            workers[w].lastBlockReason = BlockReason(rawValue: e.arg) ?? .other
            endRun(w, at: ts, record: true)
            _ = workers[w].show(.blocked, at: ts)
            return
        }
        if counts {
            if e.kind == .wait {
                workers[w].since.waits &+= 1
            } else {
                workers[w].since.preemptions &+= 1
            }
        }
        if e.arg > 0 {
            recordRunLength(e.arg, w)
            endRun(w, at: ts, record: false)
        } else {
            endRun(w, at: ts, record: true)
        }
        if workers[w].show(e.kind == .wait ? .waiting : .runnable, at: ts) {
            workers[w].runnableSince = ts
        }
    }

    /// `w` hands its server (row `s`, -1: none) to the worker in `arg`, which now runs there. The engine counts no
    /// switch for a handoff (its `.wait` was already counted), so neither does the fold.
    @inline(__always)
    mutating func handoff(_ e: TraceEvent, _ w: Int, _ s: Int) {
        let ts = e.timestamp
        endRun(w, at: ts, record: true)
        if workers[w].show(.waiting, at: ts) { workers[w].runnableSince = ts }
        guard e.arg <= UInt64(UInt32.max) else { return }
        let target = workerSlot(UInt32(e.arg))
        guard target >= 0, workers[target].show(.running, at: ts) else { return }
        workers[target].runStart = ts
        workers[target].runnableSince = 0
        if s >= 0 {
            workers[target].server = e.server
            servers[s].currentWorker = workers[target].id
            servers[s].lastWorker = workers[target].id
        }
    }

    /// Server row `s` goes idle: its busy time so far is booked.
    @inline(__always)
    mutating func serverIdle(_ e: TraceEvent, _ s: Int) {
        servers[s].tally.count(e)
        servers[s].state = .idle
        servers[s].currentWorker = TraceEvent.noWorker
        let since = servers[s].busySince
        if since > 0, e.timestamp > since, e.timestamp > servers[s].snapTime {
            servers[s].sinceBusy &+= e.timestamp - since
        }
        servers[s].busySince = 0
    }

    /// The worker stops running: optionally records the run length and clears its server's current worker.
    @inline(__always)
    mutating func endRun(_ w: Int, at ts: UInt64, record: Bool) {
        let start = workers[w].runStart
        if record, start > 0, ts >= start { recordRunLength(ts - start, w) }
        workers[w].runStart = 0
        let s = serverSlot(workers[w].server)
        if s >= 0, servers[s].currentWorker == workers[w].id {
            servers[s].currentWorker = TraceEvent.noWorker
        }
    }

    /// Worker `w`'s wake→run latency (and the all-workers one).
    @inline(__always)
    mutating func recordWakeToRun(_ ns: UInt64, _ w: Int) {
        latency.add(ns, histogram: w &<< 1, tables)
    }

    /// Worker `w`'s run length (and the all-workers one).
    @inline(__always)
    mutating func recordRunLength(_ ns: UInt64, _ w: Int) {
        latency.add(ns, histogram: w &<< 1 | 1, tables)
    }
}
