import Foundation
import Synchronization
import Testing
import UMCGEngine
import UMCGTrace

/// What publishing costs the engine (issue #12's goals: ≤ 2% of its switch rate with no viewer,
/// ≤ 5% with one attached). A benchmark, not a timed test: it prints ratios and asserts nothing
/// about speed. `scripts/bench-publish` runs it (UMCGTOP_BENCH_PUBLISH=1).
@Suite struct PublishBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["UMCGTOP_BENCH_PUBLISH"] == "1"

    enum Mode: String, CaseIterable {
        case traced = "traced"
        case published = "published"
        case viewer = "published+viewer"
        /// Diagnostic: the hub's rings in a region, no publisher thread.
        case regionRings = "region-rings"
    }

    /// Stops the viewer thread.
    final class Flag: Sendable {
        let stop = Atomic<Bool>(false)
    }

    /// The engine's switches per second over `seconds` in `mode` (same configuration every time).
    static func rate(_ mode: Mode, seconds: Double, workload: BuiltinWorkload) throws -> Double {
        let base = EngineConfiguration(
            servers: 2, workers: 8, workload: workload, sliceNanos: 5_000_000, backend: .emulated,
            workerStackBytes: 128 << 10)
        var config = mode == .traced ? base.traced() : base.published()
        if mode == .traced { config.publishing = .never }
        var keep: PublishedRegion?
        if mode == .regionRings {
            let region = try PublishedRegion.create(.init(ringCount: 4, ringCapacity: 1 << 16))
            keep = region
            config = base
            config.hub = TraceHub(region: region)
            config.publishing = .never
        }
        defer { keep?.close(exitStatus: nil) }
        let engine = try Engine(config)
        if mode != .traced && mode != .regionRings && !engine.isPublished {
            throw EngineError(engine.publishingError ?? "not published")
        }
        try engine.start()
        let flag = Flag()
        var viewer: Thread?
        if mode == .viewer {
            let pid = getpid()
            let t = Thread {
                guard let region = try? AttachedRegion.open(pid: pid) else { return }
                _ = region.acquireConsumer()
                var events = 0
                while !flag.stop.load(ordering: .relaxed) {
                    region.drain(limit: 1 << 16) { _ in events += 1 }
                    _ = region.latestSnapshot()
                    region.requestSnapshot()
                    usleep(100_000)  // the dashboard's default refresh
                }
                region.detach()
            }
            t.start()
            viewer = t
        }
        let s0 = engine.snapshot()
        let t0 = Date()
        Thread.sleep(forTimeInterval: seconds)
        let s1 = engine.snapshot()
        let elapsed = Date().timeIntervalSince(t0)
        flag.stop.store(true, ordering: .relaxed)
        engine.stop()
        _ = viewer
        let switches = s1.servers.reduce(0) { $0 + $1.switches } - s0.servers.reduce(0) { $0 + $1.switches }
        return Double(switches) / elapsed
    }

    @Test(.enabled(if: enabled, "a benchmark: scripts/bench-publish runs it"))
    func publishingCost() throws {
        let env = ProcessInfo.processInfo.environment
        let rounds = Int(env["UMCGTOP_BENCH_ROUNDS"] ?? "") ?? 6
        let seconds = Double(env["UMCGTOP_BENCH_SECONDS"] ?? "") ?? 3
        let workload = BuiltinWorkload(rawValue: env["UMCGTOP_BENCH_WORKLOAD"] ?? "") ?? .pingpong
        var ratios: [Mode: [Double]] = [:]
        for round in 0..<rounds {
            // The order rotates so that a machine getting busier or quieter favours no mode.
            let modes =
                ProcessInfo.processInfo.environment["UMCGTOP_BENCH_DIAG"] == "1"
                ? Mode.allCases : [Mode.traced, .published, .viewer]
            let order = (0..<modes.count).map { modes[($0 + round) % modes.count] }
            var r: [Mode: Double] = [:]
            for mode in order { r[mode] = try Self.rate(mode, seconds: seconds, workload: workload) }
            let traced = r[.traced] ?? 1
            let line = modes.map { "\($0.rawValue) \(Int(r[$0] ?? 0))/s" }.joined(separator: ", ")
            print(
                "bench-publish round \(round + 1): \(line); published/traced \(String(format: "%.4f", (r[.published] ?? 0) / traced)), with viewer/traced \(String(format: "%.4f", (r[.viewer] ?? 0) / traced))"
            )
            for mode in [Mode.published, .viewer] { ratios[mode, default: []].append((r[mode] ?? 0) / traced) }
        }
        func median(_ v: [Double]) -> Double {
            let s = v.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let p = ratios[.published] ?? []
        let v = ratios[.viewer] ?? []
        print(
            "bench-publish: \(rounds) rounds of \(seconds) s, workload \(workload.rawValue), 2 servers, 8 workers: median published/traced \(String(format: "%.4f", median(p))) (spread \(String(format: "%.3f", p.min() ?? 0))…\(String(format: "%.3f", p.max() ?? 0))), with a viewer/traced \(String(format: "%.4f", median(v))) (spread \(String(format: "%.3f", v.min() ?? 0))…\(String(format: "%.3f", v.max() ?? 0)))"
        )
        #expect(p.count == rounds)
    }
}
