import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Replay semantics: a seek rebuilds from a keyframe and must land on the same state as
/// folding everything from the start; the clock drives what is fed.
@Suite struct ModelReplayTests {
    static let second = ModelFixtures.second
    static let t0 = ModelFixtures.t0

    /// 10 s of events for 4 workers, deterministic, never exactly on a whole second.
    static let events: [TraceEvent] = {
        var out: [TraceEvent] = []
        var rng = SplitMix64(seed: 7)
        let kinds: [TraceEventKind] = [.wake, .switchTo, .block, .wake, .switchTo, .wait, .switchTo, .preempt]
        var ts = t0 + 1
        var step = [Int](repeating: 0, count: 4)
        while ts < t0 + 10 * second {
            let w = Int(rng.next() % 4)
            let kind = kinds[step[w] % kinds.count]
            step[w] += 1
            out.append(
                TraceEvent(
                    timestamp: ts, kind: kind, server: UInt16(w % 2), worker: UInt32(w), arg: rng.next() % 100_000))
            ts += 1_000 + rng.next() % 3_000_000
            if (ts - t0) % second == 0 { ts += 1 }
        }
        return out
    }()

    static func make() -> Aggregator {
        Aggregator(
            info: ModelFixtures.info(servers: 2, workers: 4), mode: .replay(name: "t.umcgtrace"),
            options: DashboardOptions(refreshMillis: 250))
    }

    /// The keyframe a writer would take at `at`: every worker's totals and state.
    static func keyframe(of agg: Aggregator, at: UInt64) -> Snapshot {
        agg.tick(now: at)
        let workers = agg.model.workers.map { r -> WorkerCounters in
            var c = WorkerCounters(id: r.id, state: r.state, server: r.server)
            c.switches = r.totals.switches
            c.blocks = r.totals.blocks
            c.wakes = r.totals.wakes
            c.waits = r.totals.waits
            c.preemptions = r.totals.preemptions
            c.timeouts = r.totals.timeouts
            c.runNanos = r.totals.runNanos
            c.runnableNanos = r.totals.runnableNanos
            c.blockedNanos = r.totals.blockedNanos
            return c
        }
        return Snapshot(timestamp: at, servers: [], workers: workers)
    }

    @Test func seekFromAKeyframeMatchesAFullFold() {
        let full = Self.make()
        var keyframes: [Snapshot] = []
        var next = Self.t0 + Self.second
        for e in Self.events where e.timestamp <= Self.t0 + 7 * Self.second + Self.second / 2 {
            while e.timestamp > next {
                keyframes.append(Self.keyframe(of: full, at: next))
                next += Self.second
            }
            full.ingest(e)
        }
        let position = Self.t0 + 7 * Self.second + Self.second / 2
        full.tick(now: position)

        // A backward seek: reset, the nearest keyframe at or before the position, then events after it.
        let seeked = Self.make()
        seeked.ingest(TraceEvent(timestamp: Self.t0 + 9 * Self.second, kind: .switchTo, server: 0, worker: 0))
        seeked.reset()
        let kf = keyframes.last { $0.timestamp <= position }
        #expect(kf?.timestamp == Self.t0 + 7 * Self.second)
        if let kf { seeked.ingest(snapshot: kf) }
        for e in Self.events where e.timestamp > (kf?.timestamp ?? 0) && e.timestamp <= position { seeked.ingest(e) }
        seeked.tick(now: position)

        // A reader that resumes at a chunk boundary before the keyframe refeeds some older
        // events: they are already in the keyframe and must change nothing.
        let overlapped = Self.make()
        if let kf { overlapped.ingest(snapshot: kf) }
        let from = (kf?.timestamp ?? 0) - Self.second / 2
        for e in Self.events where e.timestamp > from && e.timestamp <= position { overlapped.ingest(e) }
        overlapped.tick(now: position)

        for (i, a) in full.model.workers.enumerated() {
            for b in [seeked.model.workers[i], overlapped.model.workers[i]] {
                #expect(a.totals == b.totals, "worker \(a.id)")
                #expect(a.state == b.state, "worker \(a.id)")
                #expect(a.server == b.server, "worker \(a.id)")
            }
        }
        let unseeked = Self.make()
        for e in Self.events where e.timestamp > (kf?.timestamp ?? 0) && e.timestamp <= position { unseeked.ingest(e) }
        unseeked.tick(now: position)
        #expect(unseeked.model.workers.map(\.totals) != full.model.workers.map(\.totals))
        #expect(full.model.workers.map(\.totals.switches).reduce(0, +) > 100)
    }

    @Test func clockDrivenFeedStopsAtTheEnd() throws {
        let agg = Self.make()
        let first = try #require(Self.events.first?.timestamp, "the fixture has no events")
        let last = try #require(Self.events.last?.timestamp, "the fixture has no events")
        var clock = ReplayClock(start: first, end: last)
        clock.faster()
        clock.faster()  // 4×
        var fed = 0
        var frames = 0
        while clock.playing && frames < 10_000 {
            clock.advance(byWallNanos: 50_000_000)  // one 50 ms tick
            while fed < Self.events.count && Self.events[fed].timestamp <= clock.position {
                agg.ingest(Self.events[fed])
                fed += 1
            }
            agg.tick(now: clock.position)
            agg.showReplay(clock)
            frames += 1
        }
        #expect(fed == Self.events.count)
        #expect(clock.atEnd && !clock.playing)
        #expect(frames == Int(((Double(last - first) / 4) / 50_000_000).rounded(.up)))
        #expect(agg.model.status.replay?.playing == false)
        #expect(agg.model.status.replay?.positionNanos == last - first)
        #expect(agg.model.status.eventsTotal == UInt64(Self.events.count))
        let text = DashboardView.render(agg.model, width: 80, height: 24).text
        #expect(text.contains("REPLAY") && text.contains("END"))
    }

    /// Feeds all events up to `position` in steps of `step` trace ns, ticking after each step.
    static func play(to position: UInt64, step: UInt64) -> DashboardModel {
        let agg = make()
        var fed = 0
        var at = t0
        while at < position {
            at = min(position, at + step)
            while fed < events.count && events[fed].timestamp <= at {
                agg.ingest(events[fed])
                fed += 1
            }
            agg.tick(now: at)
        }
        return agg.model
    }

    @Test func replayRatesDependOnTheTraceNotOnPlaybackSpeed() {
        let position = Self.t0 + 6 * Self.second + 30_000_000
        let slow = Self.play(to: position, step: 12_500_000)  // 0.25× at 50 ms ticks
        let fast = Self.play(to: position, step: 3_200_000_000)  // 64×
        #expect(slow.workers.map(\.switchesPerSecond) == fast.workers.map(\.switchesPerSecond))
        #expect(slow.workers.map(\.split) == fast.workers.map(\.split))
        #expect(slow.status.eventsPerSecond == fast.status.eventsPerSecond)
        #expect(slow.workers.map(\.totals.switches) == fast.workers.map(\.totals.switches))
        #expect(slow.workers.contains { $0.switchesPerSecond > 0 })
    }

    @Test func ratesAreBackRightAfterASeek() {
        let agg = Self.make()
        let position = Self.t0 + 8 * Self.second + 500_000_000
        // A seek straight to the position: refeed the last second, tick once.
        for e in Self.events where e.timestamp > position - Self.second && e.timestamp <= position { agg.ingest(e) }
        agg.tick(now: position)
        #expect(agg.model.status.eventsPerSecond > 0)
        #expect(agg.model.workers.contains { $0.switchesPerSecond > 0 })
    }
}
