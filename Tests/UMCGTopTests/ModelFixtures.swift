import UMCGTrace

@testable import UMCGTop

/// Deterministic inputs for model and view tests: fixed run facts, timestamps and event sequences.
enum ModelFixtures {
    static let t0: UInt64 = 1_000_000_000_000
    static let second: UInt64 = 1_000_000_000

    /// Two servers and eight workers named like the default mixed scenario.
    static func info(servers: Int = 2, workers: Int = 8) -> RunInfo {
        var entities: [Entity] = (0..<servers).map {
            Entity(kind: .server, id: UInt32($0), name: "srv\($0)", tid: 100 + Int32($0))
        }
        let names = ["pingpong", "mixed", "io", "cpu"]
        entities += (0..<workers).map {
            Entity(kind: .worker, id: UInt32($0), name: "\(names[$0 % names.count])-\($0)", tid: 200 + Int32($0))
        }
        return RunInfo(
            backend: "emulated", backendReason: "no UMCG syscall on Linux: futex emulation", kernel: "Linux 6.1.0",
            hostname: "test", cpus: 2, scenario: "mixed servers=\(servers) workers=\(workers)",
            wallClockAnchorNs: 1_700_000_000_000_000_000, monotonicAnchorNs: t0, entities: entities)
    }

    /// A run of `seconds` seconds with one tick per 250 ms: every worker cycles through
    /// wake → switch → (block | wait | preempt), with per-worker rates and latencies, plus baselines.
    static func aggregator(
        seconds: Int = 12, mode: DashboardMode = .live,
        options: DashboardOptions = DashboardOptions(refreshMillis: 250), workers: Int = 8,
        snapshots: Bool = true
    ) -> Aggregator {
        let info = info(workers: workers)
        let agg = Aggregator(info: info, mode: mode, options: options)
        feed(agg, from: 0, seconds: seconds, workers: workers, snapshots: snapshots)
        return agg
    }

    /// Feeds events for [from, from + seconds) seconds and ticks every 250 ms.
    static func feed(_ agg: Aggregator, from: Int, seconds: Int, workers: Int, snapshots: Bool) {
        let quarter = second / 4
        var futexCycles: UInt64 = 0
        var condvarCycles: UInt64 = 0
        var umcgCycles: UInt64 = 0
        var serverSwitches: [UInt64] = [0, 0]
        for q in (from * 4)..<((from + seconds) * 4) {
            let base = t0 + UInt64(q) * quarter
            for w in 0..<workers {
                let rounds = 2 + (w % 4) * 3 + (q % 3)
                let server = UInt16(w % 2)
                serverSwitches[Int(server) % 2] += UInt64(rounds)
                for r in 0..<rounds {
                    let ts = base + UInt64(w) * 1_000_000 + UInt64(r) * 10_000_000
                    agg.ingest(TraceEvent(timestamp: ts, kind: .wake, server: server, worker: UInt32(w), arg: 50_000))
                    let waited = UInt64(2_000 << (w % 5)) + UInt64(r * 300)
                    agg.ingest(
                        TraceEvent(
                            timestamp: ts + 1_000, kind: .switchTo, server: server, worker: UInt32(w), arg: waited))
                    let end = ts + 1_000 + UInt64(200_000 * (w + 1))
                    switch (w + r) % 3 {
                    case 0:
                        agg.ingest(
                            TraceEvent(
                                timestamp: end, kind: .block, server: server, worker: UInt32(w), arg: UInt64(w % 6)))
                    case 1:
                        agg.ingest(
                            TraceEvent(
                                timestamp: end, kind: .wait, server: server, worker: UInt32(w), arg: end - ts - 1_000))
                    default:
                        agg.ingest(
                            TraceEvent(
                                timestamp: end, kind: .preempt, server: server, worker: UInt32(w), arg: end - ts - 1_000
                            ))
                    }
                }
            }
            futexCycles += 110_000 + UInt64((q % 4) * 2_000)
            condvarCycles += 60_000 + UInt64((q % 5) * 1_500)
            umcgCycles += 170_000 + UInt64((q % 6) * 3_000)
            for s in 0..<2 {
                agg.ingest(TraceEvent(timestamp: base + 200_000_000 + UInt64(s), kind: .serverIdle, server: UInt16(s)))
            }
            if snapshots {
                let ts = base + quarter - 1
                let servers = (0..<2).map { s in
                    var c = ServerCounters(id: UInt16(s), state: .idle)
                    c.switches = serverSwitches[s]
                    c.runQueueDepth = UInt32((q + s) % 3)
                    c.busyNanos = UInt64(q + 1) * (120_000_000 + UInt64(s) * 40_000_000)
                    return c
                }
                let baselines = [
                    BaselineCounters(
                        method: .futex, cycles: futexCycles, activeNanos: UInt64(q + 1) * quarter, placement: "same-cpu"
                    ),
                    BaselineCounters(
                        method: .condvar, cycles: condvarCycles, activeNanos: UInt64(q + 1) * quarter,
                        placement: "same-cpu"),
                    BaselineCounters(
                        method: .umcg, cycles: umcgCycles, activeNanos: UInt64(q + 1) * quarter, placement: "same-cpu"),
                ]
                agg.ingest(snapshot: Snapshot(timestamp: ts, servers: servers, workers: [], baselines: baselines))
            }
            agg.tick(now: base + quarter)
        }
        // Leave two workers running so the Servers panel shows current workers.
        let end = t0 + UInt64((from + seconds) * 4) * quarter
        agg.ingest(TraceEvent(timestamp: end + 1_000, kind: .switchTo, server: 0, worker: 2, arg: 3_000))
        agg.ingest(TraceEvent(timestamp: end + 2_000, kind: .switchTo, server: 1, worker: 1, arg: 5_000))
        agg.tick(now: end + 100_000_000)
    }
}
