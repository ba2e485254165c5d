import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

#if canImport(Glibc)
    import Glibc
#endif

/// A long run of every workload with many workers, checking that no worker stalls and counters
/// match the drained trace. Opt-in: `UMCG_SOAK=SECONDS swift test --filter SoakTests`.
@Suite(
    .serialized,
    .enabled(if: getenv("UMCG_SOAK") != nil, "opt-in: UMCG_SOAK=SECONDS swift test --filter SoakTests"))
struct SoakTests {
    static var seconds: Double { getenv("UMCG_SOAK").flatMap { Double(String(cString: $0)) } ?? 10 }

    @Test(arguments: BuiltinWorkload.allCases)
    func soak(_ workload: BuiltinWorkload) throws {
        let hub = TraceHub(ringCapacity: 1 << 16)
        let workers = workload == .cpu ? 8 : 64
        let engine = try Engine(
            EngineConfiguration(
                servers: 2, workers: workers, workload: workload, sliceNanos: 10_000_000, backend: .emulated, hub: hub))
        try engine.start()
        var switchEvents = [Int](repeating: 0, count: workers)
        let end = SystemClock.monotonicNanos() + UInt64(Self.seconds * 1e9)
        var lastSwitches = [UInt64](repeating: 0, count: workers)
        var stalled = 0
        var checks = 0
        while SystemClock.monotonicNanos() < end {
            var word: UInt32 = 0
            _ = try? Futex.wait(&word, expected: 0, timeout: 1_000_000_000)
            hub.drain { e in
                if e.kind == .switchTo, e.worker < UInt32(workers) { switchEvents[Int(e.worker)] += 1 }
            }
            let s = engine.snapshot()
            // Every worker made progress in the last second (or is inside a long preempted burst).
            for w in s.workers where w.switches == lastSwitches[Int(w.id)] { stalled += 1 }
            lastSwitches = s.workers.map(\.switches)
            checks += 1
        }
        #expect(engine.stop(timeout: 60))
        hub.drain { e in
            if e.kind == .switchTo, e.worker < UInt32(workers) { switchEvents[Int(e.worker)] += 1 }
        }
        let s = engine.snapshot()
        #expect(engine.failedWorkers == 0)
        #expect(s.workers.allSatisfy { $0.state == .exited })
        if hub.dropped == 0 {
            #expect(s.workers.map { Int($0.switches) } == switchEvents)
        }
        #expect(stalled == 0, "\(stalled) worker-seconds without a switch")
        let total = s.workers.reduce(0) { $0 + $1.switches }
        print("SOAK \(workload): \(checks) s, \(total) switches, dropped \(hub.dropped), stalled \(stalled)")
    }
}
