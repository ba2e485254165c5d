import Testing
import UMCGAnalysis
import UMCGSystem

@testable import UMCGTop

@Suite struct ModelHistogramTests {
    @Test func bucketsAreBitLengths() {
        #expect(Log2Histogram.bucket(of: 0) == 0)
        #expect(Log2Histogram.bucket(of: 1) == 1)
        #expect(Log2Histogram.bucket(of: 2) == 2)
        #expect(Log2Histogram.bucket(of: 3) == 2)
        #expect(Log2Histogram.bucket(of: 1023) == 10)
        #expect(Log2Histogram.bucket(of: 1024) == 11)
        #expect(Log2Histogram.bucket(of: .max) == 64)
        #expect(Log2Histogram.upperBound(ofBucket: 10) == 1023)
        #expect(Log2Histogram.upperBound(ofBucket: 64) == .max)
    }

    @Test func percentilesReportTheBucketUpperBound() {
        var h = Log2Histogram()
        #expect(h.percentile(0.5) == nil)
        for _ in 0..<100 { h.record(1_000) }
        h.record(1_000_000)
        #expect(h.count == 101)
        #expect(h.percentile(0.5) == 1_023)
        #expect(h.percentile(0.99) == 1_023)
        #expect(h.percentile(1) == 1_048_575)
        #expect(h.occupiedRange == 10...20)
        h.record(.max)
        #expect(h.percentile(1) == .max)
        h.reset()
        #expect(h.count == 0 && h.percentile(0.5) == nil)
    }

    @Test func p99SeesTheTail() {
        var h = Log2Histogram()
        for _ in 0..<95 { h.record(100) }
        for _ in 0..<5 { h.record(50_000) }
        #expect(h.percentile(0.5) == 127)
        #expect(h.percentile(0.95) == 127)
        #expect(h.percentile(0.99) == 65_535)
    }

    @Test func historyKeepsTheNewestSamples() {
        var h = History(capacity: 3)
        #expect(h.latest == nil && h.values.isEmpty)
        for v in 1...5 { h.append(Double(v)) }
        #expect(h.values == [3, 4, 5])
        #expect(h.last(2) == [4, 5])
        #expect(h.last(10) == [3, 4, 5])
        #expect(h.latest == 5)
    }

    @Test func recentEventsRingIsBounded() {
        var r = RecentEvents()
        for i in 0..<100 { r.append(RecentEvent(timestamp: UInt64(i), kind: .wake, server: 0, arg: 0)) }
        #expect(r.count == RecentEvents.capacity)
        #expect(r.newestFirst.first?.timestamp == 99)
        #expect(r.newestFirst.last?.timestamp == UInt64(100 - RecentEvents.capacity))
    }

    @Test func counterWindowUsesTheSampleAboutOneSecondOld() {
        var w = CounterWindow()
        #expect(w.ratePerSecond() == nil)
        // 10 ms ticks: close samples are merged, so the ring still spans more than a second.
        for i in 0...300 { w.push(time: UInt64(i) * 10_000_000, total: UInt64(i) * 10) }
        #expect(w.ratePerSecond() == 1_000)
        // A sample older than the newest is ignored.
        w.push(time: 5, total: 0)
        #expect(w.latestTotal == 3_000)
    }
}
