import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Waits until `condition` holds or `seconds` pass (a deadline, not a sleep used as synchronisation).
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
    while SystemClock.monotonicNanos() < end {
        if condition() { return true }
        var word: UInt32 = 0
        _ = try? Futex.wait(&word, expected: 0, timeout: 2_000_000)
    }
    return condition()
}

@Suite struct EngineTests {
    static let emulated = EngineConfiguration(backend: .emulated)

    @Test func rejectsZeroServersAndWorkers() {
        var c = Self.emulated
        c.servers = 0
        #expect(throws: EngineError.self) { try Engine(c) }
        c.servers = 1
        c.workers = 0
        #expect(throws: EngineError.self) { try Engine(c) }
    }

    @Test func mixedWorkloadShowsEveryEventKind() throws {
        let hub = TraceHub(ringCapacity: 1 << 18)
        var c = Self.emulated
        c.servers = 2
        c.workers = 8
        c.hub = hub
        let engine = try Engine(c)
        try engine.start()
        var seen = Set<TraceEventKind>()
        let wanted: Set<TraceEventKind> = [
            .register, .switchTo, .block, .wake, .wait, .timeout, .preempt, .serverIdle, .serverWake, .handoff,
        ]
        let start = SystemClock.monotonicNanos()
        let ok = waitUntil(seconds: 15) {
            hub.drain { seen.insert($0.kind) }
            return wanted.isSubset(of: seen)
        }
        let elapsed = SystemClock.monotonicNanos() - start
        engine.stop()
        hub.drain { seen.insert($0.kind) }
        print("mixed: every event kind seen after \(elapsed / 1_000_000) ms")
        #expect(ok, "missing: \(wanted.subtracting(seen))")
        #expect(seen.contains(.exit))
        #expect(engine.failedWorkers == 0)
        let snap = engine.snapshot()
        #expect(snap.workers.allSatisfy { $0.state == .exited })
        #expect(snap.servers.allSatisfy { $0.state == .stopped })
        print("memory per worker: \(engine.memoryPerWorker)")
    }
}
