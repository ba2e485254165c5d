import UMCGAnalysis
import UMCGTrace

/// The metrics endpoint's view of the fold.
extension Aggregator {
    /// The totals, top workers, baselines, ring counters and histograms as of the last tick.
    /// `topWorkers` workers with the most switches (ties: lower id) get their own series;
    /// the rest are added up into one aggregate.
    public func metricsSnapshot(topWorkers: Int) -> MetricsSnapshot {
        // One access: a consistent view while a pump may be folding, without copying the fold.
        foldBox.access { fold in Self.metricsSnapshot(of: fold, topWorkers: topWorkers) }
    }

    private static func metricsSnapshot(of fold: FoldState, topWorkers: Int) -> MetricsSnapshot {
        var snap = MetricsSnapshot()
        let now = fold.folded.nowNanos
        let lastServers = fold.events.lastSnapshot?.servers ?? []
        for (s, row) in fold.serverRows.enumerated() {
            let f = fold.events.servers[s]
            var t = MetricsSnapshot.Totals()
            t.switches = f.switches
            t.blocks = f.workerEvents.blocks
            t.wakes = f.workerEvents.wakes
            t.waits = f.workerEvents.waits
            t.preemptions = f.workerEvents.preemptions
            t.runNanos = f.busy(at: now)
            t.idleNanos = lastServers.first(where: { $0.id == row.id })?.idleNanos ?? f.tally.idleNanos
            snap.servers.append(.init(id: "\(row.id)", name: row.name, totals: t))
        }
        let rows = fold.workerRows
        snap.workerCount = rows.count
        let n = max(0, min(topWorkers, rows.count))
        // Partial selection: keep the n busiest in a small sorted array (n ≪ workers).
        var top: [Int] = []
        top.reserveCapacity(n + 1)
        func busier(_ a: Int, _ b: Int) -> Bool {
            let x = rows[a].totals.switches
            let y = rows[b].totals.switches
            return x != y ? x > y : a < b
        }
        if n > 0 {
            for w in rows.indices {
                if top.count == n, let last = top.last, !busier(w, last) { continue }
                let at = top.firstIndex(where: { busier(w, $0) }) ?? top.count
                top.insert(w, at: at)
                if top.count > n { top.removeLast() }
            }
        }
        var isTop = [Bool](repeating: false, count: rows.count)
        for w in top { isTop[w] = true }
        snap.topWorkers = top.map {
            .init(id: "\(rows[$0].id)", name: rows[$0].name, totals: Self.totals(rows[$0].totals))
        }
        if rows.count > top.count {
            // Only the totals of each row are read (no row is copied).
            var other = MetricsSnapshot.Totals()
            for w in rows.indices where !isTop[w] { other.add(Self.totals(rows[w].totals)) }
            snap.otherWorkers = .init(id: "other", name: "other", totals: other)
        }
        snap.baselines = [
            .init(method: "umcg", cyclesPerSecond: fold.rates.umcg.cyclesPerSecond),
            .init(method: "futex", cyclesPerSecond: fold.rates.futex.cyclesPerSecond),
            .init(method: "condvar", cyclesPerSecond: fold.rates.condvar.cyclesPerSecond),
        ]
        snap.events = fold.eventsTotal
        snap.droppedEvents = fold.droppedTotal
        snap.wakeToRun = fold.events.allWakeToRun
        snap.runLength = fold.events.allRunLength
        return snap
    }

    /// Each worker's wake→run p50 and p99 now (within 1%), by id.
    public func wakeToRunPercentiles() -> [UInt32: LatencyPercentiles] {
        var byId: [UInt32: LatencyPercentiles] = [:]
        for w in fold.events.workers {
            byId[w.id] = LatencyPercentiles(p50: w.wakeToRun.percentile(0.5), p99: w.wakeToRun.percentile(0.99))
        }
        return byId
    }

    private static func totals(_ r: WorkerTotals) -> MetricsSnapshot.Totals {
        var t = MetricsSnapshot.Totals()
        t.switches = r.switches
        t.blocks = r.blocks
        t.wakes = r.wakes
        t.waits = r.waits
        t.preemptions = r.preemptions
        t.runNanos = r.runNanos
        t.idleNanos = r.runnableNanos
        t.blockedNanos = r.blockedNanos
        return t
    }
}

/// A worker's wake→run p50 and p99 in ns, nil without samples.
public struct LatencyPercentiles: Sendable, Equatable {
    /// Median.
    public var p50: UInt64?
    /// 99th percentile.
    public var p99: UInt64?

    /// Creates percentiles.
    public init(p50: UInt64?, p99: UInt64?) {
        self.p50 = p50
        self.p99 = p99
    }
}
