import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct AppReplaySourceTests {
    static let second: UInt64 = 1_000_000_000
    static let t0: UInt64 = 5 * second

    /// Writes a synthetic recording: `seconds` long, `perSecond` switch events spread over 2 servers
    /// and 8 workers, a keyframe every second with counters that match the events so far.
    static func writeRecording(seconds: Int, perSecond: Int) throws -> String {
        let path = EndToEnd.scratch("synthetic.umcgtrace")
        let entities =
            (0..<2).map { Entity(kind: .server, id: UInt32($0), name: "srv\($0)") }
            + (0..<8).map { Entity(kind: .worker, id: UInt32($0), name: "mixed-\($0)") }
        let info = RunInfo(
            backend: "emulated", backendReason: "test", kernel: "Linux test", hostname: "h", cpus: 2,
            scenario: "mixed servers=2 workers=8", wallClockAnchorNs: 0, monotonicAnchorNs: t0, entities: entities)
        let writer = try TraceWriter(path: path, info: info)
        var switches = [UInt64](repeating: 0, count: 8)
        let step = second / UInt64(perSecond)
        func keyframe(_ t: UInt64) throws {
            let workers = (0..<8).map { w -> WorkerCounters in
                var c = WorkerCounters(id: UInt32(w), state: .runnable, server: UInt16(w % 2))
                c.switches = switches[w]
                return c
            }
            let servers = (0..<2).map { ServerCounters(id: UInt16($0), state: .running) }
            try writer.appendKeyframe(Snapshot(timestamp: t, servers: servers, workers: workers))
        }
        try keyframe(t0)
        for i in 1...(seconds * perSecond) {
            let t = t0 + UInt64(i) * step
            let w = i % 8
            switches[w] += 1
            try writer.append(TraceEvent(timestamp: t, kind: .switchTo, server: UInt16(w % 2), worker: UInt32(w)))
            if i % perSecond == 0 { try keyframe(t) }
        }
        try writer.finish()
        return path
    }

    private func aggregator(for source: ReplaySource) -> Aggregator {
        Aggregator(info: source.info, mode: .replay(name: "t"), options: DashboardOptions())
    }

    @Test func feedsOnlyUpToTheClockAndStopsPausedAtTheEnd() throws {
        let path = try Self.writeRecording(seconds: 3, perSecond: 1000)
        defer { unlink(path) }
        let source = try ReplaySource(path: path)
        var agg = aggregator(for: source)
        var wall: UInt64 = 100 * Self.second
        _ = source.pump(into: &agg, budget: .max, now: wall)
        wall += Self.second
        _ = source.pump(into: &agg, budget: .max, now: wall)
        #expect(source.clock.position == Self.t0 + Self.second)
        #expect(agg.latestTraceTime <= source.clock.position)
        #expect(agg.latestTraceTime >= source.clock.position - 2_000_000)
        #expect(agg.model.status.replay?.positionNanos == Self.second)
        // Play past the end: the clock stops there, paused, and the source reports finished.
        wall += 10 * Self.second
        _ = source.pump(into: &agg, budget: .max, now: wall)
        #expect(source.clock.atEnd)
        #expect(!source.clock.playing)
        #expect(source.finished)
    }

    @Test func seekBackwardsRebuildsFromAKeyframe() throws {
        let path = try Self.writeRecording(seconds: 3, perSecond: 1000)
        defer { unlink(path) }
        let source = try ReplaySource(path: path)
        var agg = aggregator(for: source)
        _ = source.perform(.seekToEnd, aggregator: &agg, now: 1)
        #expect(agg.latestTraceTime == source.clock.end)
        _ = source.perform(.seekToStart, aggregator: &agg, now: 2)
        #expect(source.clock.position == source.clock.start)
        #expect(agg.latestTraceTime <= source.clock.start)
        _ = source.perform(.seek(byNanos: 1_500_000_000), aggregator: &agg, now: 3)
        #expect(agg.latestTraceTime <= source.clock.position)
        #expect(agg.latestTraceTime > source.clock.position - 2_000_000)
        _ = source.perform(.seek(byNanos: -1_000_000_000), aggregator: &agg, now: 4)
        #expect(source.clock.position == Self.t0 + 500_000_000)
        #expect(agg.latestTraceTime <= source.clock.position)
    }

    @Test func truncatedFileShowsTheReadersWarning() throws {
        let path = try Self.writeRecording(seconds: 2, perSecond: 1000)
        defer { unlink(path) }
        var size = stat()
        #expect(stat(path, &size) == 0)
        #expect(truncate(path, size.st_size - 100) == 0)
        let source = try ReplaySource(path: path)
        #expect(source.reader.summary.truncated)
        #expect(source.note != nil)
    }

    @Test func seekAcrossAHugeGapWithoutKeyframes() throws {
        // Untrusted input: two events eleven days apart, one keyframe at the start.
        let path = EndToEnd.scratch("gap.umcgtrace")
        defer { unlink(path) }
        let info = RunInfo(
            backend: "emulated", backendReason: "test", kernel: "k", hostname: "h", cpus: 1, scenario: "s",
            wallClockAnchorNs: 0, monotonicAnchorNs: Self.t0,
            entities: [Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .worker, id: 0, name: "w0")])
        let writer = try TraceWriter(path: path, info: info)
        try writer.appendKeyframe(Snapshot(timestamp: Self.t0, servers: [], workers: []))
        try writer.append(TraceEvent(timestamp: Self.t0 + 1, kind: .switchTo, server: 0, worker: 0))
        let far = Self.t0 + 1_000_000 * Self.second
        try writer.append(TraceEvent(timestamp: far, kind: .switchTo, server: 0, worker: 0))
        try writer.finish()
        let source = try ReplaySource(path: path)
        var agg = aggregator(for: source)
        _ = source.perform(.seekToEnd, aggregator: &agg, now: 1)
        #expect(source.clock.position == far)
        #expect(agg.latestTraceTime == far)
        _ = source.perform(.seek(byNanos: -3 * Int64(Self.second)), aggregator: &agg, now: 2)
        #expect(agg.latestTraceTime == Self.t0 + 1)
    }

    /// Prints (never asserts) how fast a 10 s recording opens, draws its first frame and seeks.
    @Test func replayTimings() throws {
        // UMCGTOP_REPLAY_TIMING_FILE=F times a real recording instead of the synthetic one.
        let given = ProcessInfo.processInfo.environment["UMCGTOP_REPLAY_TIMING_FILE"]
        let path = try given ?? Self.writeRecording(seconds: 10, perSecond: 20_000)
        defer { if given == nil { unlink(path) } }
        let t0 = SystemClock.monotonicNanos()
        let source = try ReplaySource(path: path)
        var agg = aggregator(for: source)
        _ = source.pump(into: &agg, budget: 50_000, now: 1)
        agg.tick(now: source.clock.position)
        _ = DashboardView.render(agg.model, width: 120, height: 40)
        let t1 = SystemClock.monotonicNanos()
        _ = source.perform(.seek(byNanos: 9_000_000_000), aggregator: &agg, now: 2)
        let t2 = SystemClock.monotonicNanos()
        _ = source.perform(.seek(byNanos: -5_000_000_000), aggregator: &agg, now: 3)
        let t3 = SystemClock.monotonicNanos()
        _ = source.perform(.seek(byNanos: 1_000_000_000), aggregator: &agg, now: 4)
        let t4 = SystemClock.monotonicNanos()
        func ms(_ a: UInt64, _ b: UInt64) -> String { String(format: "%.1f ms", Double(b - a) / 1e6) }
        print(
            "replay timings (\(source.reader.summary.events) events, \(source.reader.summary.duration) s): open+first frame \(ms(t0, t1)), seek +9 s \(ms(t1, t2)),"
                + " seek -5 s \(ms(t2, t3)), seek +1 s \(ms(t3, t4))")
        #expect(agg.latestTraceTime <= source.clock.position)
    }
}
