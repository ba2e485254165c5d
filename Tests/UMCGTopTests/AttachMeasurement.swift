import Foundation
import Testing
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// Prints (never asserts on speed) what watching costs: the viewer's CPU over a headless attach at
/// the default refresh, and events lost between target and viewer. The target is this test
/// process: an engine running the pingpong workload, published. Run it by hand:
/// `UMCGTOP_MEASURE_ATTACH=1 swift test --filter AttachMeasurement` (`UMCGTOP_MEASURE_SECONDS`,
/// default 20; `UMCGTOP_MEASURE_BINARY`, default .build/debug/umcgtop).
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["UMCGTOP_MEASURE_ATTACH"] == "1",
        "a measurement: set UMCGTOP_MEASURE_ATTACH=1 to run it"))
struct AttachMeasurement {
    @Test func viewerCPUAndEventsLost() throws {
        let env = ProcessInfo.processInfo.environment
        let seconds = Double(env["UMCGTOP_MEASURE_SECONDS"] ?? "") ?? 20
        let binary = env["UMCGTOP_MEASURE_BINARY"] ?? EndToEnd.binary
        let engine = try Engine(EngineConfiguration(servers: 2, workers: 8, workload: .pingpong).published())
        try engine.start()
        defer { engine.stop(timeout: 10) }
        let published = try #require(engine.publishedPath, "not published: \(engine.publishingError ?? "?")")
        let before = engine.snapshot()
        let region = try AttachedRegion.open(pid: getpid())
        let publishedBefore = region.eventsPublished
        let droppedBefore = region.droppedByTarget
        region.detach()
        let timesPath = EndToEnd.scratch("times")
        defer { unlink(timesPath) }
        let start = SystemClock.monotonicNanos()
        let viewer = try EndToEnd.Child(
            "/usr/bin/time",
            [
                "-o", timesPath, "-f", "%U %S %e", binary, "--attach", "\(getpid())", "--headless", "--json",
                "--duration", "\(seconds)",
            ])
        let r = viewer.finish(timeout: seconds + 120)
        let elapsed = Double(SystemClock.monotonicNanos() - start) / 1e9
        let after = engine.snapshot()
        #expect(r.status == 0, "viewer: \(r.stderr)")
        let summary = try #require(EndToEnd.jsonObject(r.stdout), "not JSON: \(r.stdout)")
        let times = ((try? String(contentsOfFile: timesPath, encoding: .utf8)) ?? "").split(separator: " ")
            .compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let cpu = times.count == 3 ? (times[0] + times[1]) / times[2] * 100 : -1
        let number = { (key: String) in (summary[key] as? NSNumber)?.uint64Value ?? 0 }
        let received = number("events_received")
        let publishedAfter = number("events_published")
        let droppedTarget = number("dropped_by_target")
        let droppedViewer = number("dropped_by_viewer")
        let during = publishedAfter &- publishedBefore
        let switches = after.workers.reduce(0) { $0 &+ $1.switches } &- before.workers.reduce(0) { $0 &+ $1.switches }
        print(
            """
            attach measurement (\(published), viewer \(binary), \(seconds) s at the default refresh):
              target: \(String(format: "%.0f", Double(during) / elapsed)) events/s published, \
            \(String(format: "%.0f", Double(switches) / elapsed)) switches/s
              viewer CPU: \(String(format: "%.2f", cpu))% of one CPU (user+sys over wall, /usr/bin/time: \(times))
              events: published during the attach \(during) (\(publishedBefore) before it); received \(received); \
            ring drops \(droppedTarget &- droppedBefore) during (\(droppedBefore) before); tap drops \(droppedViewer)
              lost between target and viewer while attached: \(droppedTarget &- droppedBefore &+ droppedViewer) \
            (ring drops + tap drops; received = published during − those, ± the rings' backlog at attach)
            """)
    }
}
