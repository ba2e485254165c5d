import UMCGTrace

/// Folding a batch of events: the same transitions as `ingest(_:)` event by event (both run
/// `HotFold.fold`), at a fraction of the cost per event.
extension EventFold {
    /// Folds `events` in order, exactly as `ingest(_:)` would one by one, and writes into
    /// `workerSlots[i]` what `ingest(events[i])` returns (the slot of the worker a worker-state
    /// event names), -1 for nil. `workerSlots` must have room for `events.count` values.
    ///
    /// In a dense fold, runs of worker and server events are folded by one loop over raw pointers
    /// into the tables (one uniqueness check per table per run, not per access); the drop markers,
    /// keyframes and baseline samples, and every event of a sparse fold, go through `ingest(_:)`.
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
            let next = Self.foldRun(
                events, from: i, workerSlots, workers: &workers, servers: &servers, kindCounts: &kindCounts,
                allWakeToRun: &allWakeToRun, allRunLength: &allRunLength, eventsTotal: &eventsTotal,
                latestTimestamp: &latestTimestamp, latency: &latencyBatch, lookup: &lookup,
                mergingAtEnd: mergingLatencies)
            if next > i {
                i = next
            } else {
                // A drop marker, keyframe or baseline sample: the event-by-event fold.
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
            _ = Self.foldRun(
                UnsafeBufferPointer(start: nil, count: 0), from: 0, slot, workers: &workers, servers: &servers,
                kindCounts: &kindCounts, allWakeToRun: &allWakeToRun, allRunLength: &allRunLength,
                eventsTotal: &eventsTotal, latestTimestamp: &latestTimestamp, latency: &latencyBatch,
                lookup: &lookup, mergingAtEnd: true)
        }
    }

    /// Folds the events of `events` from `start` on with their latency values pending in `latency`;
    /// returns the index of the first event `HotFold.fold` does not take (or `events.count`).
    private static func foldRun(
        _ events: UnsafeBufferPointer<TraceEvent>, from start: Int,
        _ slots: UnsafeMutablePointer<Int32>,
        workers: inout [WorkerFold], servers: inout [ServerFold], kindCounts: inout [UInt64],
        allWakeToRun: inout LatencyHistogram, allRunLength: inout LatencyHistogram,
        eventsTotal: inout UInt64, latestTimestamp: inout UInt64, latency: inout LatencyBatch,
        lookup: inout FoldLookup, mergingAtEnd: Bool
    ) -> Int {
        latency.withRecorder(workers: workers.count) { recorder in
            let (end, sink) = withHotFold(
                workers: &workers, servers: &servers, kindCounts: &kindCounts, allWakeToRun: &allWakeToRun,
                allRunLength: &allRunLength, eventsTotal: &eventsTotal, latestTimestamp: &latestTimestamp,
                lookup: &lookup, latency: PendingLatency(recorder: recorder)
            ) { hot in
                hot.run(events, from: start, slots, mergingAtEnd: mergingAtEnd)
            }
            recorder = sink.recorder
            return end
        }
    }

    /// Runs `body` with a `HotFold` over the tables (distinct stored properties, passed `inout`
    /// together), its latency values going to `latency`; returns `body`'s result and the sink.
    static func withHotFold<L: FoldLatencySink, R>(
        workers: inout [WorkerFold], servers: inout [ServerFold], kindCounts: inout [UInt64],
        allWakeToRun: inout LatencyHistogram, allRunLength: inout LatencyHistogram,
        eventsTotal: inout UInt64, latestTimestamp: inout UInt64, lookup: inout FoldLookup, latency: L,
        _ body: (inout HotFold<L>) -> R
    ) -> (R, L) {
        workers.withUnsafeMutableBufferPointer { w in
            servers.withUnsafeMutableBufferPointer { s in
                kindCounts.withUnsafeMutableBufferPointer { k in
                    lookup.slotTable.withUnsafeBufferPointer { table in
                        withUnsafePointer(to: &lookup.sparseWorkers) { sparseWorkers in
                            withUnsafePointer(to: &lookup.sparseServers) { sparseServers in
                                withUnsafeMutablePointer(to: &allWakeToRun) { wakeToRun in
                                    withUnsafeMutablePointer(to: &allRunLength) { runLength in
                                        var hot = HotFold(
                                            tables: FoldTables(
                                                workers: w, servers: s, kindCounts: k, slotTable: table,
                                                denseServers: min(lookup.denseServers, s.count),
                                                sparseWorkers: lookup.isSparse ? sparseWorkers : nil,
                                                sparseServers: lookup.isSparse ? sparseServers : nil,
                                                allWakeToRun: wakeToRun, allRunLength: runLength,
                                                keepsWorkerTallies: lookup.keepsWorkerTallies),
                                            latency: latency, eventsTotal: eventsTotal,
                                            latestTimestamp: latestTimestamp)
                                        let result = body(&hot)
                                        eventsTotal = hot.eventsTotal
                                        latestTimestamp = hot.latestTimestamp
                                        return (result, hot.latency)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How a fold finds the row of an id (`EventFold.lookup`, lent to `HotFold` as pointers).
struct FoldLookup: Sendable {
    /// Dense: the slot of each worker id below its count, -1 for none.
    var slotTable: [Int32] = []
    /// Servers `0..<denseServers` have rows `0..<denseServers`.
    var denseServers = 0
    /// Whether ids are also looked up in the maps below (a sparse fold).
    var isSparse = false
    /// Sparse: the row of each worker id.
    var sparseWorkers: [UInt32: Int] = [:]
    /// Sparse: the row of each server id.
    var sparseServers: [UInt16: Int] = [:]
    /// Whether worker events are counted in their worker's `tally` too (see `EventFold.init(workerIds:denseServers:keepsWorkerTallies:)`).
    var keepsWorkerTallies = true
}

/// A fold's tables as raw pointers (see `HotFold`).
struct FoldTables {
    let workers: UnsafeMutableBufferPointer<WorkerFold>
    let servers: UnsafeMutableBufferPointer<ServerFold>
    let kindCounts: UnsafeMutableBufferPointer<UInt64>
    let slotTable: UnsafeBufferPointer<Int32>
    /// Servers `0..<denseServers` have rows (`servers[i].id == i`).
    let denseServers: Int
    /// A sparse fold's maps, nil in a dense fold.
    let sparseWorkers: UnsafePointer<[UInt32: Int]>?
    let sparseServers: UnsafePointer<[UInt16: Int]>?
    let allWakeToRun: UnsafeMutablePointer<LatencyHistogram>
    let allRunLength: UnsafeMutablePointer<LatencyHistogram>
    /// Whether worker events are counted in their worker's `tally`.
    let keepsWorkerTallies: Bool
}

/// Where `HotFold` puts wake→run and run-length values.
protocol FoldLatencySink {
    /// Records `ns` for histogram `h` (2 × worker slot, + 1 for run lengths) and the all-workers one of its kind.
    mutating func add(_ ns: UInt64, histogram h: Int, _ t: FoldTables)
}

/// Records each value into its histograms at once (the event-by-event fold).
struct DirectLatency: FoldLatencySink {
    @inline(__always)
    mutating func add(_ ns: UInt64, histogram h: Int, _ t: FoldTables) {
        if h & 1 == 0 {
            t.workers[h >> 1].wakeToRun.record(ns)
            t.allWakeToRun.pointee.record(ns)
        } else {
            t.workers[h >> 1].runLength.record(ns)
            t.allRunLength.pointee.record(ns)
        }
    }
}

/// Counts values per bucket and merges them in runs (the batch loop; see `LatencyBatch`).
struct PendingLatency: FoldLatencySink {
    var recorder: LatencyRecorder

    @inline(__always)
    mutating func add(_ ns: UInt64, histogram h: Int, _ t: FoldTables) {
        if !recorder.hasRoom { merge(t) }
        recorder.add(ns, histogram: h)
    }

    /// Merges everything pending into the histograms.
    mutating func merge(_ t: FoldTables) {
        recorder.merge(into: t.workers, wakeToRun: t.allWakeToRun, runLength: t.allRunLength)
    }
}

extension HotFold where Latency == PendingLatency {
    /// Folds events from `start` until the first one `fold` does not take; returns its index (or
    /// the count). Pending latency values are merged before returning at such an event (which
    /// will be folded one by one), and at the end if `mergingAtEnd`.
    mutating func run(
        _ events: UnsafeBufferPointer<TraceEvent>, from start: Int, _ slots: UnsafeMutablePointer<Int32>,
        mergingAtEnd: Bool
    ) -> Int {
        var i = start
        while i < events.count {
            guard let w = fold(events[i]) else {
                latency.merge(tables)
                return i
            }
            slots[i] = w
            i += 1
        }
        if mergingAtEnd { latency.merge(tables) }
        return i
    }
}
