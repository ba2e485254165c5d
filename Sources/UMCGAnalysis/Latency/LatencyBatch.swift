/// Latency values the fold's batch loop records, held as counts per HdrHistogram bucket and merged
/// into the `LatencyHistogram`s at the end of each run of the loop with one `record(_:count:)` per
/// bucket instead of one per value.
///
/// The merge leaves each histogram exactly as recording its values one by one would: the same
/// counts, total, sum, exact minimum and maximum (recorded as themselves), and the same growth
/// (the first value of the run's highest bucket level is recorded first, so the counts array grows
/// where the one-by-one order would have made it grow). Values go to a worker's histogram and to
/// the all-workers one together: the latter's buckets come from the workers' tables at the merge.
///
/// Scratch only: empty after every merge (every table free, every count zero). Values may stay
/// pending across calls of the batch loop (`EventFold.ingest(_:workerSlots:mergingLatencies:)`)
/// until `EventFold.mergePendingLatencies()` or the next event folded one by one.
struct LatencyBatch: Sendable {
    /// Histograms with pending values at once (a 65th merges everything first).
    static let tables = 64
    /// Counts indices of a two-significant-digit HdrHistogram up to `LatencyHistogram.maxTrackable`.
    static let width = 4609
    /// Distinct (histogram, bucket) pairs pending at once (then everything is merged).
    static let maxTouched = 16_384

    private var counts: [UInt32] = []
    private var touched: [Int32] = []
    /// Per table, then the all-workers wake→run and run-length totals.
    private var heads: [LatencyPending] = []
    private var owners: [Int32] = []
    /// Per histogram id (2 × worker slot + kind): its table, -1 if none.
    private var tableOf: [Int32] = []
    /// Tables, touched entries and values pending (kept between runs until a merge).
    private var used = 0
    private var touchedCount = 0
    private var values = 0

    /// Whether nothing is pending.
    var isEmpty: Bool { used == 0 }

    /// The bucket level of `v` (0 for values below 256, then one per power of two).
    @inline(__always)
    static func level(_ v: UInt64) -> Int { 56 &- (v | 255).leadingZeroBitCount }

    /// The HdrHistogram counts index of `v` (≤ `LatencyHistogram.maxTrackable`) at `level`.
    @inline(__always)
    static func index(_ v: UInt64, level: Int) -> Int {
        ((level &+ 1) &<< 7) &+ Int(truncatingIfNeeded: v &>> UInt64(level)) &- 128
    }

    /// The lowest value of bucket `index`.
    static func lowestValue(_ index: Int) -> UInt64 {
        var level = (index >> 7) - 1
        var sub = (index & 127) + 128
        if level < 0 {
            sub -= 128
            level = 0
        }
        return UInt64(sub) << UInt64(level)
    }

    /// Runs `body` with the tables as raw pointers, sized for `workers` workers' histograms.
    mutating func withRecorder<R>(workers: Int, _ body: (inout LatencyRecorder) -> R) -> R {
        if counts.isEmpty {
            counts = Array(repeating: 0, count: Self.tables * Self.width)
            touched = Array(repeating: 0, count: Self.maxTouched)
            heads = Array(repeating: LatencyPending(), count: Self.tables + 2)
            owners = Array(repeating: -1, count: Self.tables)
        }
        if tableOf.count < 2 * workers {
            tableOf += repeatElement(-1, count: 2 * workers - tableOf.count)
        }
        return counts.withUnsafeMutableBufferPointer { c in
            touched.withUnsafeMutableBufferPointer { t in
                heads.withUnsafeMutableBufferPointer { h in
                    owners.withUnsafeMutableBufferPointer { o in
                        tableOf.withUnsafeMutableBufferPointer { of in
                            var recorder = LatencyRecorder(
                                counts: c, touched: t, heads: h, owners: o, tableOf: of)
                            recorder.used = used
                            recorder.touchedCount = touchedCount
                            recorder.values = values
                            let result = body(&recorder)
                            used = recorder.used
                            touchedCount = recorder.touchedCount
                            values = recorder.values
                            return result
                        }
                    }
                }
            }
        }
    }
}

/// What a run recorded into one histogram besides its bucket counts.
struct LatencyPending: Sendable {
    var minNonZero: UInt64 = .max
    var max: UInt64 = 0
    var sum: UInt64 = 0
    /// The first value recorded at `topLevel`, the highest bucket level recorded (-1: none).
    var firstTop: UInt64 = 0
    var topLevel = -1
    /// At the merge: values recorded one by one (first, min, max), not yet taken off their bucket's count.
    var specialIndex: (Int, Int, Int) = (-1, -1, -1)

    @inline(__always)
    mutating func add(_ v: UInt64, level: Int) {
        sum &+= v
        if v > max { max = v }
        if v != 0, v < minNonZero { minNonZero = v }
        if level > topLevel {
            topLevel = level
            firstTop = v
        }
    }

    /// The distinct values to record one by one, first value of the top level first.
    var specials: [UInt64] {
        guard topLevel >= 0 else { return [] }
        var s = [firstTop]
        if minNonZero != .max, !s.contains(minNonZero) { s.append(minNonZero) }
        if !s.contains(max) { s.append(max) }
        return s
    }

    /// Records the specials into `histogram` (one each) and remembers their buckets.
    mutating func recordSpecials(into histogram: inout LatencyHistogram) {
        let s = specials
        var idx = [-1, -1, -1]
        for (i, v) in s.enumerated() {
            histogram.recordBucket(v, count: 1)
            idx[i] = LatencyBatch.index(v, level: LatencyBatch.level(v))
        }
        specialIndex = (idx[0], idx[1], idx[2])
    }

    /// Takes up to `limit` of the specials recorded in bucket `index` off its count; returns how many.
    mutating func take(_ index: Int, upTo limit: UInt64) -> UInt64 {
        var n: UInt64 = 0
        if n < limit, specialIndex.0 == index {
            specialIndex.0 = -1
            n += 1
        }
        if n < limit, specialIndex.1 == index {
            specialIndex.1 = -1
            n += 1
        }
        if n < limit, specialIndex.2 == index {
            specialIndex.2 = -1
            n += 1
        }
        return n
    }

    /// The value recorded for the rest of bucket `index`: one of its own values' bucket, never below the minimum.
    func representative(_ index: Int) -> UInt64 {
        index == 0 ? 0 : Swift.max(LatencyBatch.lowestValue(index), minNonZero)
    }
}

/// `LatencyBatch`'s tables as raw pointers, for one run of the batch loop (see `HotFold`).
struct LatencyRecorder {
    let counts: UnsafeMutableBufferPointer<UInt32>
    let touched: UnsafeMutableBufferPointer<Int32>
    let heads: UnsafeMutableBufferPointer<LatencyPending>
    let owners: UnsafeMutableBufferPointer<Int32>
    let tableOf: UnsafeMutableBufferPointer<Int32>
    var used = 0
    var touchedCount = 0
    /// Values pending (bounded so that no bucket count reaches 2^32).
    var values = 0

    init(
        counts: UnsafeMutableBufferPointer<UInt32>, touched: UnsafeMutableBufferPointer<Int32>,
        heads: UnsafeMutableBufferPointer<LatencyPending>, owners: UnsafeMutableBufferPointer<Int32>,
        tableOf: UnsafeMutableBufferPointer<Int32>
    ) {
        self.counts = counts
        self.touched = touched
        self.heads = heads
        self.owners = owners
        self.tableOf = tableOf
    }

    /// Whether one more value certainly fits (a free table and a free touched entry).
    @inline(__always)
    var hasRoom: Bool {
        used < LatencyBatch.tables && touchedCount < LatencyBatch.maxTouched && values < 1 << 30
    }

    /// Records `value` for histogram `h` (2 × worker slot + kind) and the all-workers one of its kind.
    /// Needs `hasRoom`; `h` below `tableOf.count`.
    @inline(__always)
    mutating func add(_ value: UInt64, histogram h: Int) {
        let v = Swift.min(value, LatencyHistogram.maxTrackable)
        let level = LatencyBatch.level(v)
        let index = LatencyBatch.index(v, level: level)
        var t = Int(tableOf[h])
        if t < 0 {
            t = used
            used &+= 1
            tableOf[h] = Int32(truncatingIfNeeded: t)
            owners[t] = Int32(truncatingIfNeeded: h)
        }
        let at = t &* LatencyBatch.width &+ index
        let c = counts[at]
        if c == 0 {
            touched[touchedCount] = Int32(truncatingIfNeeded: t &<< 13 | index)
            touchedCount &+= 1
        }
        counts[at] = c &+ 1
        values &+= 1
        heads[t].add(v, level: level)
        heads[LatencyBatch.tables &+ (h & 1)].add(v, level: level)
    }

    /// Merges everything pending into `workers`' histograms and the all-workers ones, and empties the tables.
    mutating func merge(
        into workers: UnsafeMutableBufferPointer<WorkerFold>,
        wakeToRun: UnsafeMutablePointer<LatencyHistogram>,
        runLength: UnsafeMutablePointer<LatencyHistogram>
    ) {
        guard used > 0 else { return }
        let all = LatencyBatch.tables
        for t in 0..<used {
            let h = Int(owners[t])
            if h & 1 == 0 {
                heads[t].recordSpecials(into: &workers[h >> 1].wakeToRun)
            } else {
                heads[t].recordSpecials(into: &workers[h >> 1].runLength)
            }
        }
        heads[all].recordSpecials(into: &wakeToRun.pointee)
        heads[all + 1].recordSpecials(into: &runLength.pointee)
        for i in 0..<touchedCount {
            let packed = Int(touched[i])
            let t = packed >> 13
            let index = packed & 8191
            let at = t * LatencyBatch.width + index
            let c = UInt64(counts[at])
            counts[at] = 0
            let h = Int(owners[t])
            let n = c - heads[t].take(index, upTo: c)
            let g = c - heads[all + (h & 1)].take(index, upTo: c)
            if h & 1 == 0 {
                if n > 0 {
                    workers[h >> 1].wakeToRun.recordBucket(heads[t].representative(index), count: n)
                }
                if g > 0 { wakeToRun.pointee.recordBucket(heads[all].representative(index), count: g) }
            } else {
                if n > 0 {
                    workers[h >> 1].runLength.recordBucket(heads[t].representative(index), count: n)
                }
                if g > 0 { runLength.pointee.recordBucket(heads[all + 1].representative(index), count: g) }
            }
        }
        for t in 0..<used {
            let h = Int(owners[t])
            if h & 1 == 0 {
                workers[h >> 1].wakeToRun.addToSum(heads[t].sum)
            } else {
                workers[h >> 1].runLength.addToSum(heads[t].sum)
            }
            tableOf[h] = -1
            owners[t] = -1
            heads[t] = LatencyPending()
        }
        wakeToRun.pointee.addToSum(heads[all].sum)
        runLength.pointee.addToSum(heads[all + 1].sum)
        heads[all] = LatencyPending()
        heads[all + 1] = LatencyPending()
        used = 0
        touchedCount = 0
        values = 0
    }
}
