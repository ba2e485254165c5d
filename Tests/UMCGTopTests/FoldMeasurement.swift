import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Prints (never asserts on speed) what the dashboard's fold costs per event: 10 M synthetic
/// pingpong-like events (2 servers, 8 workers) folded by `Aggregator`, straight from an array and
/// through a `TraceRing` drained as the UI drains the pump's tap (`tap`: the same latencies every
/// time; `tap, spread`: wake→run and run lengths spread over 100 ns to 1 ms, as a real program's
/// are, so they land in hundreds of histogram buckets). Run it by hand in release:
/// `UMCGTOP_MEASURE_FOLD=1 swift test -c release --filter FoldMeasurement`
/// (`UMCGTOP_MEASURE_EVENTS`, default 10,000,000).
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["UMCGTOP_MEASURE_FOLD"] == "1",
        "a measurement: set UMCGTOP_MEASURE_FOLD=1 to run it"))
struct FoldMeasurement {
    /// One period of the stream: each worker is woken, switched to, then waits or blocks; servers idle and wake.
    /// With `spread`, switches carry a wake→run and waits a run length from 100 ns to 1 ms (log-uniform).
    static func period(_ base: UInt64, spread: inout SplitMix64?) -> [TraceEvent] {
        var out: [TraceEvent] = []
        var t = base
        func latency() -> UInt64? {
            guard spread != nil else { return nil }
            let bits = spread?.next(in: 7...20) ?? 7
            return (spread?.next() ?? 0) >> (64 - bits) | 64
        }
        for w in 0..<UInt32(8) {
            let s = UInt16(w % 2)
            t += 100
            out.append(TraceEvent(timestamp: t, kind: .wake, server: s, worker: w, cpu: 0, arg: 0))
            t += 100
            out.append(TraceEvent(timestamp: t, kind: .switchTo, server: s, worker: w, cpu: 0, arg: latency() ?? 150))
            t += 100
            let k: TraceEventKind = w % 3 == 0 ? .block : .wait
            out.append(
                TraceEvent(timestamp: t, kind: k, server: s, worker: w, cpu: 0, arg: k == .wait ? latency() ?? 0 : 0))
            if w % 4 == 3 {
                t += 50
                out.append(
                    TraceEvent(timestamp: t, kind: .serverIdle, server: s, worker: TraceEvent.noWorker, cpu: 0, arg: 0))
                t += 50
                out.append(
                    TraceEvent(timestamp: t, kind: .serverWake, server: s, worker: TraceEvent.noWorker, cpu: 0, arg: 0))
            }
        }
        return out
    }

    static var total: Int { Int(ProcessInfo.processInfo.environment["UMCGTOP_MEASURE_EVENTS"] ?? "") ?? 10_000_000 }

    /// 64 Ki events with increasing timestamps, reused (shifted) to reach the total.
    static func chunk(spread: Bool = false) -> [TraceEvent] {
        var events: [TraceEvent] = []
        var t = ModelFixtures.t0
        var rng: SplitMix64? = spread ? SplitMix64(seed: 42) : nil
        while events.count < 1 << 16 {
            let p = period(t, spread: &rng)
            events += p
            t = (p.last?.timestamp ?? t) + 100
        }
        return Array(events.prefix(1 << 16))
    }

    static func shifted(_ chunk: [TraceEvent], by dt: UInt64) -> [TraceEvent] {
        chunk.map {
            var e = $0
            e.timestamp &+= dt
            return e
        }
    }

    @Test func foldFromArray() {
        let agg = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        let c = Self.chunk()
        let span = (c.last?.timestamp ?? 0) - (c.first?.timestamp ?? 0) + 100
        let rounds = max(1, Self.total / c.count)
        let chunks = (0..<4).map { Self.shifted(c, by: UInt64($0) * span) }
        var folded = 0
        var nanos: UInt64 = 0
        for r in 0..<rounds {
            let events = Self.shifted(chunks[r % 4], by: UInt64(r / 4) * 4 * span)
            let start = SystemClock.monotonicNanos()
            for e in events { agg.ingest(e) }
            nanos += SystemClock.monotonicNanos() - start
            folded += events.count
        }
        agg.tick(now: (c.last?.timestamp ?? 0) + UInt64(rounds) * span)
        #expect(agg.model.status.eventsTotal == UInt64(folded))
        print(
            "fold measurement: array: \(folded) events, \(String(format: "%.1f", Double(nanos) / Double(folded))) ns/event, "
                + "\(String(format: "%.2f", Double(folded) / (Double(nanos) / 1e9) / 1e6)) M events/s")
    }

    @Test(arguments: [false, true])
    func foldThroughTap(spread: Bool) {
        let agg = Aggregator(info: ModelFixtures.info(), mode: .live, options: DashboardOptions())
        let tap = TraceRing(minimumCapacity: 1 << 17, label: "tap")
        let c = Self.chunk(spread: spread)
        let span = (c.last?.timestamp ?? 0) - (c.first?.timestamp ?? 0) + 100
        let rounds = max(1, Self.total / c.count)
        var folded = 0
        var nanos: UInt64 = 0
        for r in 0..<rounds {
            for e in c {
                var e = e
                e.timestamp &+= UInt64(r) * span
                _ = tap.push(e)
            }
            let start = SystemClock.monotonicNanos()
            folded += agg.ingest(draining: tap, limit: .max)
            nanos += SystemClock.monotonicNanos() - start
        }
        agg.tick(now: (c.last?.timestamp ?? 0) + UInt64(rounds) * span)
        #expect(agg.model.status.eventsTotal == UInt64(folded))
        print(
            "fold measurement: tap\(spread ? ", spread" : ""): \(folded) events, \(String(format: "%.1f", Double(nanos) / Double(folded))) ns/event, "
                + "\(String(format: "%.2f", Double(folded) / (Double(nanos) / 1e9) / 1e6)) M events/s")
    }
}
