import Synchronization
import Testing
import UMCGAnalysis
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// The fold (what the dashboard, the report and the exporters show) accounts a direct
/// worker-to-worker handoff exactly as the engine's counters do: the target's switch as a switch,
/// the caller's WAIT as a wait, and the run time of both.
@Suite struct HandoffFoldTests {
    @Test func foldMatchesEngineCountersAcrossDirectHandoffs() throws {
        let calls = 1_000
        let hub = TraceHub(ringCapacity: 1 << 17)
        var c = EngineConfiguration(servers: 1, workers: 0, reservedWorkers: 3, handoff: .futex, backend: .emulated)
        c.hub = hub
        let engine = try Engine(c)
        let direct = Atomic<Int>(0)
        for (me, peer) in [(0, 2), (1, -1), (2, 0)] {
            _ = try engine.spawn(name: "w\(me)") { ctx in
                for _ in 0..<calls {
                    if peer < 0 {
                        try ctx.yield()
                    } else if try ctx.handoff(to: peer) {
                        // Relaxed: a count read after the workers were joined.
                        direct.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        try engine.start()
        let end = SystemClock.monotonicNanos() + 60_000_000_000
        while engine.exitedWorkerCount < 3 && SystemClock.monotonicNanos() < end {
            var word: UInt32 = 0
            _ = try? Futex.wait(&word, expected: 0, timeout: 2_000_000)
        }
        #expect(engine.stop())
        #expect(engine.exitedWorkerCount == 3)
        var fold = EventFold(denseWorkers: 3, denseServers: 1)
        hub.drain { fold.ingest($0) }
        #expect(hub.dropped == 0)
        let s = engine.snapshot()
        // Relaxed: the workers were joined.
        let handoffs = direct.load(ordering: .relaxed)
        #expect(handoffs >= calls)
        for w in 0..<3 {
            let t = fold.workers[w].tally
            let e = s.workers[w]
            #expect(t.switches == e.switches, "worker \(w)")
            #expect(t.waits == e.waits, "worker \(w)")
            let diff = t.runNanos > e.runNanos ? t.runNanos - e.runNanos : e.runNanos - t.runNanos
            #expect(diff <= e.runNanos / 100 + 10_000, "worker \(w): fold \(t.runNanos) engine \(e.runNanos)")
        }
        #expect(fold.workers.reduce(0) { $0 + $1.tally.handoffs } == UInt64(handoffs))
        #expect(fold.servers[0].tally.switches == s.servers[0].switches)
    }
}
