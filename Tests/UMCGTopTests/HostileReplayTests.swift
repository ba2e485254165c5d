import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Issue #15 item 1: a trace whose timestamps reach 2^64 − 1 (valid checksums) must neither hang a seek
/// nor keep the UI from answering `q` and signals; a headless replay of any span ends as fast as it reads.
@Suite struct HostileReplayTests {
    /// Two events, at 1 s and at 2^64 − 1 ns (a 584-year span), one keyframe at the start; written with
    /// the project's `TraceWriter`, so every checksum is valid.
    static func writeFarSpan() throws -> String {
        let path = EndToEnd.scratch("far-span.umcgtrace")
        let info = RunInfo(
            backend: "emulated", backendReason: "test", kernel: "k", hostname: "h", cpus: 1, scenario: "s",
            wallClockAnchorNs: 0, monotonicAnchorNs: 1_000_000_000,
            entities: [Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .worker, id: 0, name: "w0")])
        let writer = try TraceWriter(path: path, info: info)
        try writer.appendKeyframe(Snapshot(timestamp: 1_000_000_000, servers: [], workers: []))
        try writer.append(TraceEvent(timestamp: 1_000_000_000, kind: .switchTo, server: 0, worker: 0))
        try writer.append(TraceEvent(timestamp: .max, kind: .switchTo, server: 0, worker: 0))
        try writer.finish()
        return path
    }

    @Test func clockSaturatesNearTheEndOfTime() {
        var clock = ReplayClock(start: 1_000_000_000, end: .max, speed: 64)
        clock.advance(byWallNanos: .max / 2)
        #expect(clock.position == .max)
        #expect(!clock.playing)
        var near = ReplayClock(start: .max - 10, end: .max, speed: 64)
        near.advance(byWallNanos: 1)
        #expect(near.position == .max)
        near.seek(byNanos: .min)
        #expect(near.position == UInt64.max - 10)
        near.seek(byNanos: .max)
        #expect(near.position == .max)
    }

    @Test func seeksToTheEndOfTimeEndAndStayBounded() throws {
        let path = try Self.writeFarSpan()
        defer { unlink(path) }
        let source = try ReplaySource(path: path)
        var agg = Aggregator(info: source.info, mode: .replay(name: "t"), options: DashboardOptions())
        _ = source.perform(.seekToEnd, aggregator: &agg, now: 1)
        #expect(source.clock.position == .max)
        #expect(agg.latestTraceTime == .max)
        _ = source.perform(.seek(byNanos: -1_000_000_000), aggregator: &agg, now: 2)
        #expect(source.clock.position == UInt64.max - 1_000_000_000)
        _ = source.perform(.seekToStart, aggregator: &agg, now: 3)
        _ = source.perform(.seek(byNanos: .max), aggregator: &agg, now: 4)
        #expect(source.clock.position == 1_000_000_000 + UInt64(Int64.max))
        #expect(agg.latestTraceTime == 1_000_000_000)
        _ = source.perform(.seek(byNanos: .max), aggregator: &agg, now: 5)
        #expect(source.clock.position == .max)
        #expect(agg.latestTraceTime == .max)
        // Play from the start at 64×: one pump with a huge wall step reaches the end without trapping.
        _ = source.perform(.seekToStart, aggregator: &agg, now: 5)
        _ = source.perform(.togglePlay, aggregator: &agg, now: 6)
        _ = source.pump(into: &agg, budget: 10, now: .max)
        agg.tick(now: source.clock.position)
        #expect(source.clock.atEnd)
    }

    @Test func aSeekFoldsAtMostItsBudgetAndThePumpsFoldTheRest() throws {
        let path = try AppReplaySourceTests.writeRecording(seconds: 1, perSecond: 1000)
        defer { unlink(path) }
        let source = try ReplaySource(path: path)
        source.seekBudget = 100
        var agg = Aggregator(info: source.info, mode: .replay(name: "t"), options: DashboardOptions())
        _ = source.perform(.togglePlay, aggregator: &agg, now: 1)  // pause: the pumps only catch up
        // A forward seek of under 2 s folds in place: only `seekBudget` records at once.
        _ = source.perform(.seek(byNanos: 900_000_000), aggregator: &agg, now: 2)
        #expect(agg.latestTraceTime < source.clock.position - 100_000_000)
        var pumps = 0
        while source.pump(into: &agg, budget: 100, now: 3) > 0 { pumps += 1 }
        #expect(pumps >= 5)
        #expect(agg.latestTraceTime == source.clock.position)
    }

    @Test func unpacedSourceFoldsWithoutWaitingForTheClock() throws {
        let path = try Self.writeFarSpan()
        defer { unlink(path) }
        let source = try ReplaySource(path: path, speed: 64, paced: false)
        var agg = Aggregator(info: source.info, mode: .replay(name: "t"), options: DashboardOptions())
        var pumps = 0
        while !source.finished && pumps < 10 {
            _ = source.pump(into: &agg, budget: 1, now: 1)
            pumps += 1
        }
        #expect(source.finished)
        #expect(agg.latestTraceTime == .max)
    }
}

/// The built binary on the far-span file: headless ends, interactive `G` then `q` or SIGTERM ends.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct HostileReplayEndToEndTests {
    @Test func headlessReplayOfAFarSpanEnds() throws {
        let path = try HostileReplayTests.writeFarSpan()
        defer { unlink(path) }
        let r = try EndToEnd.run(["--headless", "--replay", path, "--json"], timeout: 60)
        #expect(!r.timedOut, "a headless replay of a 584-year span did not end")
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(EndToEnd.jsonObject(r.stdout), "no JSON: \(r.stdout)")
        #expect(json["trace_events"] as? Int == 2)
    }

    @Test func paceNeedsHeadlessReplay() throws {
        let r = try EndToEnd.run(["--pace", "--headless", "--duration", "1"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--pace needs --headless and --replay"))
    }

    /// Starts the replay in tmux through `sh -c 'echo $$ > F; exec …'`, so the test knows its pid.
    private static func startReplay(_ tmux: TmuxSession, path: String, pidFile: String) throws -> pid_t {
        try tmux.type("sh -c 'echo $$ > \(pidFile); exec \(EndToEnd.binary) --replay \(path)'; echo EXITED $?")
        #expect(tmux.waitFor { $0.contains("REPLAY") }, "replay never started:\n\(tmux.screen())")
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Ends a replay a failed test left spinning (it ignored the key or signal under test).
    private static func reap(_ pid: pid_t, in tmux: TmuxSession) {
        if !tmux.screen().contains("EXITED") { kill(pid, SIGKILL) }
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"))
    func seekToTheEndThenQuit() throws {
        let path = try HostileReplayTests.writeFarSpan()
        let pidFile = EndToEnd.scratch("replay.pid")
        defer {
            unlink(path)
            unlink(pidFile)
        }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        let pid = try Self.startReplay(tmux, path: path, pidFile: pidFile)
        defer { Self.reap(pid, in: tmux) }
        try tmux.keys("G")
        try tmux.keys("q")
        #expect(tmux.waitFor(timeout: 15) { $0.contains("EXITED 0") }, "q ignored after G:\n\(tmux.screen())")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"))
    func seekToTheEndThenOneSIGTERM() throws {
        let path = try HostileReplayTests.writeFarSpan()
        let pidFile = EndToEnd.scratch("replay.pid")
        defer {
            unlink(path)
            unlink(pidFile)
        }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        let pid = try Self.startReplay(tmux, path: path, pidFile: pidFile)
        defer { Self.reap(pid, in: tmux) }
        try tmux.keys("G")
        #expect(
            tmux.waitFor(timeout: 15) { s in TmuxReplayTests.position(s).map { $0.at == $0.of } ?? false },
            "G did not reach the end:\n\(tmux.screen())")
        kill(pid, SIGTERM)
        #expect(
            tmux.waitFor(timeout: 15) { $0.contains("EXITED 143") }, "one SIGTERM did not end it:\n\(tmux.screen())")
    }
}
