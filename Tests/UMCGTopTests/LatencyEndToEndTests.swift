import Foundation
import Testing
import UMCGSystem
import UMCGTrace

/// Issue 13's goal end to end: a recorded trace with known wake→run latencies, read back by the
/// built `umcgtop report --json` and a headless replay, gives each worker p50 and p99 within 1% of
/// the exact values computed from the trace, and different workers get different percentiles.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct LatencyEndToEndTests {
    /// Worker 0: 2_000 switches with latencies 1_000 … 20_990 ns (step 10); worker 1: 3_000 with
    /// a log-uniform spread of 5 µs … 5 ms. Returns each worker's exact sorted latencies.
    static func writeTrace(_ path: String) throws -> [[UInt64]] {
        let info = RunInfo(
            backend: "emulated", backendReason: "test", kernel: "Linux", hostname: "h", cpus: 2, scenario: "latency",
            wallClockAnchorNs: 1, monotonicAnchorNs: 2,
            entities: [
                Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .worker, id: 0, name: "steady"),
                Entity(kind: .worker, id: 1, name: "spread"),
            ])
        let writer = try TraceWriter(path: path, info: info, force: true)
        var latencies: [[UInt64]] = [[], []]
        var rng = SplitMix64(seed: 42)
        var t: UInt64 = 1_000_000
        try writer.appendKeyframe(Snapshot(timestamp: t, servers: [], workers: []))
        for i in 0..<5_000 {
            let w: UInt32 = i % 5 < 2 ? 0 : 1
            let latency: UInt64
            if w == 0 {
                latency = 1_000 + UInt64(latencies[0].count) * 10
            } else {
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                latency = UInt64(5_000 * pow(1_000, u))
            }
            latencies[Int(w)].append(latency)
            try writer.append(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: w, cpu: 0, arg: latency))
            try writer.append(TraceEvent(timestamp: t + 2_000, kind: .wait, server: 0, worker: w, cpu: 0, arg: 2_000))
            t += 10_000
        }
        // A final keyframe lists the workers, as a recording's does (the headless JSON's rows).
        let workers = [WorkerCounters(id: 0, state: .waiting), WorkerCounters(id: 1, state: .waiting)]
        try writer.appendKeyframe(Snapshot(timestamp: t, servers: [], workers: workers))
        try writer.finish()
        return latencies.map { $0.sorted() }
    }

    static func exact(_ sorted: [UInt64], _ q: Double) -> UInt64 {
        sorted[Int((q * Double(sorted.count)).rounded(.up)) - 1]
    }

    static func within1Percent(_ got: Any?, _ exact: UInt64) -> Bool {
        guard let v = got as? Int, v >= 0 else { return false }
        return abs(Double(v) - Double(exact)) <= Double(exact) * 0.01
    }

    @Test func reportAndHeadlessReplayGiveExactPercentilesPerWorker() throws {
        let path = "/tmp/umcgtop-latency-\(getpid()).umcgtrace"
        defer { unlink(path) }
        let exact = try Self.writeTrace(path)
        let report = try ReportEndToEndTests.run(["report", path, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let perWorker = try #require(object["per_worker"] as? [[String: Any]])
        try #require(perWorker.count == 2)
        for (w, row) in perWorker.enumerated() {
            for (key, q) in [("wake_to_run_p50_ns", 0.5), ("wake_to_run_p99_ns", 0.99)] {
                #expect(
                    Self.within1Percent(row[key], Self.exact(exact[w], q)), "report w\(w) \(key): \(row[key] ?? "nil")")
            }
        }
        #expect(perWorker[0]["wake_to_run_p99_ns"] as? Int != perWorker[1]["wake_to_run_p99_ns"] as? Int)

        let replay = try ReportEndToEndTests.run(["--replay", path, "--headless", "--json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        let workers = try #require(summary["workers"] as? [[String: Any]])
        let byId = Dictionary(uniqueKeysWithValues: workers.compactMap { w in (w["id"] as? Int).map { ($0, w) } })
        for w in 0..<2 {
            let row = try #require(byId[w], "worker \(w) missing from \(replay.stdout)")
            for (key, q) in [("wake_to_run_p50_ns", 0.5), ("wake_to_run_p99_ns", 0.99)] {
                #expect(
                    Self.within1Percent(row[key], Self.exact(exact[w], q)), "replay w\(w) \(key): \(row[key] ?? "nil")")
            }
        }
    }
}
