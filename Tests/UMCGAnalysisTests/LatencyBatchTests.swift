import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

/// `LatencyBatch`: its bucketing is the histogram's, and folding through it leaves every histogram
/// as recording value by value does.
@Suite struct LatencyBatchTests {
    /// Every value's bucket index, and that bucket's lowest value, agree with the HdrHistogram's own bucketing.
    @Test func bucketsAreTheHistogramsBuckets() {
        var rng = SplitMix64(seed: 5)
        var values: [UInt64] = [
            0, 1, 127, 128, 255, 256, 257, 511, 512, 1000, LatencyHistogram.maxTrackable,
        ]
        for _ in 0..<5_000 {
            let bits = rng.next(in: 0...42)
            values.append(min(rng.next() >> (64 - bits), LatencyHistogram.maxTrackable))
        }
        #expect(
            LatencyBatch.index(
                LatencyHistogram.maxTrackable, level: LatencyBatch.level(LatencyHistogram.maxTrackable))
                == LatencyBatch.width - 1)
        for v in values {
            let index = LatencyBatch.index(v, level: LatencyBatch.level(v))
            #expect(index >= 0 && index < LatencyBatch.width)
            let low = LatencyBatch.lowestValue(index)
            #expect(low <= v)
            var a = LatencyHistogram()
            var b = LatencyHistogram()
            a.record(v)
            b.record(low)
            // Same bucket: the same median equivalent.
            #expect(a.recorded.map(\.value) == b.recorded.map(\.value), "value \(v), index \(index)")
            if low > 0 {
                var c = LatencyHistogram()
                c.record(low - 1)
                #expect(
                    c.recorded.map(\.value) != a.recorded.map(\.value),
                    "value \(v): bucket starts below \(low)")
            }
        }
    }

    /// 40 workers (80 histograms: more than the 64 tables) and latencies spread over every bucket
    /// level (more distinct buckets than the 16,384 pending entries) in batches of thousands.
    @Test func manyWorkersAndWideLatenciesFoldLikeSingleEvents() {
        var rng = SplitMix64(seed: 3)
        var t: UInt64 = 1_000
        var events: [TraceEvent] = []
        let kinds: [TraceEventKind] = [.wake, .switchTo, .wait, .block, .preempt, .handoff]
        for _ in 0..<60_000 {
            t &+= rng.next(in: 0...(1 << 30))
            let kind = kinds[Int(rng.next(in: 0...5))]
            let bits = rng.next(in: 0...44)
            let arg = kind == .handoff ? rng.next(in: 0...39) : rng.next() >> (64 - bits)
            events.append(
                TraceEvent(
                    timestamp: t, kind: kind, server: UInt16(rng.next(in: 0...3)),
                    worker: UInt32(rng.next(in: 0...39)),
                    cpu: 0, arg: rng.next(in: 0...3) == 0 ? 0 : arg))
        }
        EventFoldBatchTests.compare(
            { EventFold(denseWorkers: 40, denseServers: 4) }, events, seed: 8, batchSizes: 1...20_000)
    }

    /// Values left pending across calls (`mergingLatencies: false`, as the dashboard folds a tap
    /// batch in chunks) and merged later, or by an event folded one by one, give the same fold.
    @Test(arguments: [21, 22] as [UInt64])
    func pendingValuesAcrossCallsFoldLikeSingleEvents(seed: UInt64) {
        let events = EventFoldBatchTests.stream(seed: seed, count: 30_000, workerIds: 12, servers: 3)
        EventFoldBatchTests.compare(
            { EventFold(workerIds: [0, 1, 2, 5, 9, 3], denseServers: 3) }, events, seed: seed, batchSizes: 1...2_000,
            merging: false)
    }
}
