import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

@Suite struct TraceReportTests {
    @Test func latencyPercentilesAreExactBelow256ns() {
        var stats = LatencyStats()
        for v in (1...200).reversed() { stats.add(UInt64(v)) }
        #expect(stats.count == 200 && stats.max == 200 && stats.mean == 100.5)
        #expect(stats.percentile(99) == 198)
        #expect(stats.percentile(50) == 100)
        #expect(stats.percentile(100) == 200)
        #expect(!stats.isEstimate)
        #expect(LatencyStats().percentile(99) == 0)
    }

    @Test func latencyMemoryIsBounded() {
        var stats = LatencyStats()
        for v in 0..<100_000 { stats.add(UInt64(v)) }
        #expect(stats.count == 100_000 && stats.max == 99_999 && stats.isEstimate)
        // Within 1% of the exact nearest-rank p99 (98,999).
        #expect(stats.percentile(99) > 90_000)
        #expect(stats.percentile(99) >= 98_999 && stats.percentile(99) <= 98_999 * 101 / 100)
    }

    @Test func foldsRunTimeCountsAndForgetsRunsAtGaps() throws {
        let events: [TraceEvent] = [
            TraceEvent(timestamp: 100, kind: .switchTo, server: 0, worker: 0, cpu: 0, arg: 40),
            TraceEvent(timestamp: 300, kind: .wait, server: 0, worker: 0, cpu: 0, arg: 200),
            TraceEvent(timestamp: 400, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 60),
            TraceEvent(timestamp: 450, kind: .block, server: 0, worker: 1, cpu: 0, arg: 2),
            TraceEvent(timestamp: 500, kind: .switchTo, server: 0, worker: 0, cpu: 0, arg: 0),
            TraceEvent(timestamp: 550, kind: .dropped, server: 0, cpu: 0, arg: 3),
            TraceEvent(timestamp: 700, kind: .preempt, server: 0, worker: 0, cpu: 0, arg: 200),  // run start forgotten
            TraceEvent(timestamp: 800, kind: .wake, server: 1, worker: 1, cpu: 1, arg: 350),
            TraceEvent(timestamp: 900, kind: .serverIdle, server: 1, cpu: 1),
            TraceEvent(timestamp: 990, kind: .serverWake, server: 1, cpu: 1, arg: 90),
            TraceEvent(timestamp: 995, kind: .baselineSample, worker: 1, arg: 1000),
        ]
        let (bytes, _) = try Fixture.trace(events: events)
        let report = try TraceReport(reader: TraceReader(bytes: bytes))
        let w0 = try #require(report.workers.first { $0.id == 0 })
        let w1 = try #require(report.workers.first { $0.id == 1 })
        #expect(w0.switches == 2 && w0.waits == 1 && w0.preemptions == 1 && w0.runNanos == 200)
        #expect(w0.wakeToRun.count == 1 && w0.wakeToRun.max == 40)
        #expect(w1.switches == 1 && w1.blocks == 1 && w1.wakes == 1 && w1.runNanos == 50)
        #expect(w1.name == "mixed-1")
        let counts = Dictionary(uniqueKeysWithValues: report.eventCounts.map { ($0.kind, $0.count) })
        #expect(counts[.switchTo] == 3 && counts[.baselineSample] == 1 && counts[.dropped] == nil)
        let s1 = try #require(report.servers.first { $0.id == 1 })
        #expect(s1.idles == 1 && s1.idleNanos == 90)
        #expect(report.summary.dropped == 3 && report.summary.events == 10)
        #expect(report.lastKeyframe != nil)
    }
}
