import UMCGTrace

/// Folding a batch of events: the same fold as `ingest(_:)` event by event, at a fraction of the
/// cost per event for the kinds that make up nearly all of a busy stream.
extension EventFold {
    /// Folds `events` in order, exactly as `ingest(_:)` would one by one, and writes into
    /// `workerSlots[i]` what `ingest(events[i])` returns (the slot of the worker a worker-state
    /// event names), -1 for nil. `workerSlots` must have room for `events.count` values.
    ///
    /// In a dense fold, runs of switch, block, wake, wait, preempt, handoff, timeout, server-idle
    /// and server-wake events are folded by one loop over raw pointers into the tables (one
    /// uniqueness check per table per run, not per access); the rare kinds (register, exit, drop
    /// markers, keyframes, baseline samples), and every event of a sparse fold, go through `ingest(_:)`.
    ///
    /// With `mergingLatencies` false, the wake→run and run-length values of the last run stay
    /// pending (counted per bucket, see `LatencyBatch`) for the next call, so that a stream folded in
    /// chunks merges them once: the histograms (`workers[i].wakeToRun`, `runLength`, `allWakeToRun`,
    /// `allRunLength`) lag until `mergePendingLatencies()`, which the caller must call before reading
    /// them. Every other field is up to date; folding an event one by one merges first.
    public mutating func ingest(
        _ events: UnsafeBufferPointer<TraceEvent>, workerSlots: UnsafeMutablePointer<Int32>,
        mergingLatencies: Bool = true
    ) {
        guard maxRows == 0 else {
            for i in events.indices { workerSlots[i] = ingest(events[i]).map { Int32($0) } ?? -1 }
            return
        }
        var i = 0
        while i < events.count {
            let next = Self.foldHotRun(
                events, from: i, workerSlots, workers: &workers, servers: &servers, kindCounts: &kindCounts,
                allWakeToRun: &allWakeToRun, allRunLength: &allRunLength, eventsTotal: &eventsTotal,
                latestTimestamp: &latestTimestamp, latency: &latencyBatch, slotTable: workerSlotTable,
                denseServers: denseServers, mergingAtEnd: mergingLatencies)
            if next > i {
                i = next
            } else {
                // Not a hot kind: the event-by-event fold.
                workerSlots[i] = ingest(events[i]).map { Int32($0) } ?? -1
                i += 1
            }
        }
        if mergingLatencies { mergePendingLatencies() }
    }

    /// Merges the latency values the batch loop left pending (see `ingest(_:workerSlots:mergingLatencies:)`).
    public mutating func mergePendingLatencies() {
        guard !latencyBatch.isEmpty else { return }
        var none: Int32 = 0
        withUnsafeMutablePointer(to: &none) { slot in
            _ = Self.foldHotRun(
                UnsafeBufferPointer(start: nil, count: 0), from: 0, slot, workers: &workers, servers: &servers,
                kindCounts: &kindCounts, allWakeToRun: &allWakeToRun, allRunLength: &allRunLength,
                eventsTotal: &eventsTotal, latestTimestamp: &latestTimestamp, latency: &latencyBatch,
                slotTable: workerSlotTable, denseServers: denseServers, mergingAtEnd: true)
        }
    }

    /// Folds the hot events of `events` from `start` on; returns the index of the first other one
    /// (or where the run stopped: `events.count`, or its length cap). The tables are distinct stored properties, passed `inout` together.
    private static func foldHotRun(
        _ events: UnsafeBufferPointer<TraceEvent>, from start: Int,
        _ slots: UnsafeMutablePointer<Int32>,
        workers: inout [WorkerFold], servers: inout [ServerFold], kindCounts: inout [UInt64],
        allWakeToRun: inout LatencyHistogram, allRunLength: inout LatencyHistogram,
        eventsTotal: inout UInt64, latestTimestamp: inout UInt64, latency: inout LatencyBatch,
        slotTable: [Int32],
        denseServers: Int, mergingAtEnd: Bool
    ) -> Int {
        let workerCount = workers.count
        return latency.withRecorder(workers: workerCount) { recorder in
            workers.withUnsafeMutableBufferPointer { w in
                servers.withUnsafeMutableBufferPointer { s in
                    kindCounts.withUnsafeMutableBufferPointer { k in
                        slotTable.withUnsafeBufferPointer { table in
                            withUnsafeMutablePointer(to: &allWakeToRun) { wakeToRun in
                                withUnsafeMutablePointer(to: &allRunLength) { runLength in
                                    var hot = HotFold(
                                        workers: w, servers: s, kindCounts: k, slotTable: table,
                                        denseServers: min(denseServers, s.count), allWakeToRun: wakeToRun,
                                        allRunLength: runLength, latency: recorder, eventsTotal: eventsTotal,
                                        latestTimestamp: latestTimestamp)
                                    let end = hot.run(events, from: start, slots, mergingAtEnd: mergingAtEnd)
                                    eventsTotal = hot.eventsTotal
                                    latestTimestamp = hot.latestTimestamp
                                    recorder = hot.latency
                                    return end
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A dense fold's tables as raw pointers, for one run of hot events (see `EventFold.ingest(_:workerSlots:)`).
/// Each case does what `EventFold.ingest(_:)` and its helpers do for that kind, in the same order.
struct HotFold {
    let workers: UnsafeMutableBufferPointer<WorkerFold>
    let servers: UnsafeMutableBufferPointer<ServerFold>
    let kindCounts: UnsafeMutableBufferPointer<UInt64>
    let slotTable: UnsafeBufferPointer<Int32>
    /// Servers `0..<denseServers` have rows (`servers[i].id == i`).
    let denseServers: Int
    let allWakeToRun: UnsafeMutablePointer<LatencyHistogram>
    let allRunLength: UnsafeMutablePointer<LatencyHistogram>
    /// Wake→run and run-length values of this run, merged into the histograms before it returns.
    var latency: LatencyRecorder
    var eventsTotal: UInt64
    var latestTimestamp: UInt64

    /// The row of worker `id`, -1 if none (dense: the slot table only).
    @inline(__always)
    func workerSlot(_ id: UInt32) -> Int {
        Int(id) < slotTable.count ? Int(slotTable[Int(id)]) : -1
    }

    /// The row of server `id`, -1 if none (`noServer` is never below `denseServers`).
    @inline(__always)
    func serverSlot(_ id: UInt16) -> Int {
        Int(id) < denseServers ? Int(id) : -1
    }

    /// Folds events from `start` until the first one of another kind; returns its index (or the
    /// count). Pending latency values are merged before returning at another kind (which will be
    /// folded one by one), and at the end if `mergingAtEnd`.
    mutating func run(
        _ events: UnsafeBufferPointer<TraceEvent>, from start: Int, _ slots: UnsafeMutablePointer<Int32>,
        mergingAtEnd: Bool
    ) -> Int {
        var i = start
        while i < events.count {
            let e = events[i]
            let kind = e.kind
            switch kind {
            case .switchTo:
                count(e)
                let s = serverSlot(e.server)
                if s >= 0 { servers[s].tally.count(e) }
                let w = workerSlot(e.worker)
                if w >= 0 { switchIn(e, w, s) }
                slots[i] = Int32(truncatingIfNeeded: w)
            case .block, .wait, .preempt:
                count(e)
                let s = serverSlot(e.server)
                if s >= 0 { servers[s].workerEvents.count(e) }
                let w = workerSlot(e.worker)
                if w >= 0 { stop(e, w) }
                slots[i] = Int32(truncatingIfNeeded: w)
            case .wake:
                count(e)
                let s = serverSlot(e.server)
                if s >= 0 { servers[s].workerEvents.count(e) }
                let w = workerSlot(e.worker)
                if w >= 0 {
                    workers[w].tally.count(e)
                    let ts = e.timestamp
                    if ts > workers[w].snapTime { workers[w].since.wakes &+= 1 }
                    if workers[w].show(.runnable, at: ts) { workers[w].runnableSince = ts }
                }
                slots[i] = Int32(truncatingIfNeeded: w)
            case .handoff:
                count(e)
                let w = workerSlot(e.worker)
                if w >= 0 { handoff(e, w) }
                slots[i] = Int32(truncatingIfNeeded: w)
            case .timeout:
                count(e)
                let w = workerSlot(e.worker)
                if w >= 0 {
                    workers[w].tally.count(e)
                    let ts = e.timestamp
                    if ts > workers[w].snapTime { workers[w].since.timeouts &+= 1 }
                    if workers[w].eventState == .waiting { _ = workers[w].show(.runnable, at: ts) }
                }
                slots[i] = Int32(truncatingIfNeeded: w)
            case .serverIdle:
                count(e)
                let s = serverSlot(e.server)
                if s >= 0 {
                    servers[s].tally.count(e)
                    servers[s].state = .idle
                    servers[s].currentWorker = TraceEvent.noWorker
                    let since = servers[s].busySince
                    if since > 0, e.timestamp > since, e.timestamp > servers[s].snapTime {
                        servers[s].sinceBusy &+= e.timestamp - since
                    }
                    servers[s].busySince = 0
                }
                slots[i] = -1
            case .serverWake:
                count(e)
                let s = serverSlot(e.server)
                if s >= 0 {
                    servers[s].tally.count(e)
                    servers[s].state = .running
                }
                slots[i] = -1
            default:
                latency.merge(into: workers, wakeToRun: allWakeToRun, runLength: allRunLength)
                return i
            }
            i += 1
        }
        if mergingAtEnd { latency.merge(into: workers, wakeToRun: allWakeToRun, runLength: allRunLength) }
        return i
    }

    /// What every event adds: the totals, the kind's count, the newest timestamp.
    @inline(__always)
    mutating func count(_ e: TraceEvent) {
        eventsTotal &+= 1
        kindCounts[Int(e.kind.rawValue)] &+= 1
        if e.timestamp > latestTimestamp { latestTimestamp = e.timestamp }
    }

    /// A switch to worker `w` on server slot `s` (-1: none): `EventFold.switchIn`.
    @inline(__always)
    mutating func switchIn(_ e: TraceEvent, _ w: Int, _ s: Int) {
        workers[w].tally.count(e)
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
        servers[s].state = .running
        if servers[s].busySince == 0 { servers[s].busySince = max(ts, servers[s].snapTime) }
    }

    /// Worker `w` blocks, waits or is preempted: `EventFold.workerEvent`'s cases for them.
    @inline(__always)
    mutating func stop(_ e: TraceEvent, _ w: Int) {
        workers[w].tally.count(e)
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

    /// `w` hands its server to the worker in `arg`: `EventFold.handoff`.
    @inline(__always)
    mutating func handoff(_ e: TraceEvent, _ w: Int) {
        workers[w].tally.count(e)
        let ts = e.timestamp
        endRun(w, at: ts, record: true)
        if workers[w].show(.waiting, at: ts) { workers[w].runnableSince = ts }
        guard e.arg <= UInt64(UInt32.max) else { return }
        let target = workerSlot(UInt32(e.arg))
        guard target >= 0, workers[target].show(.running, at: ts) else { return }
        workers[target].runStart = ts
        workers[target].runnableSince = 0
        let s = serverSlot(e.server)
        if s >= 0 {
            workers[target].server = e.server
            servers[s].currentWorker = workers[target].id
        }
    }

    /// `EventFold.endRun`.
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

    /// Worker `w`'s wake→run latency (and the all-workers one): pending until the run's merge.
    @inline(__always)
    mutating func recordWakeToRun(_ ns: UInt64, _ w: Int) {
        if !latency.hasRoom {
            latency.merge(into: workers, wakeToRun: allWakeToRun, runLength: allRunLength)
        }
        latency.add(ns, histogram: w &<< 1)
    }

    /// Worker `w`'s run length (and the all-workers one): pending until the run's merge.
    @inline(__always)
    mutating func recordRunLength(_ ns: UInt64, _ w: Int) {
        if !latency.hasRoom {
            latency.merge(into: workers, wakeToRun: allWakeToRun, runLength: allRunLength)
        }
        latency.add(ns, histogram: w &<< 1 | 1)
    }
}
