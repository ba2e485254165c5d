import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine
@testable import UMCGBench

#if canImport(Glibc)
    import Glibc
#endif

/// Handoff measurements, printed not asserted (the machine is noisy). Runs only with UMCG_PERF=1:
/// `UMCG_PERF=1 swift test -c release --filter PingPongPerfTests`.
@Suite(.serialized, .enabled(if: getenv("UMCG_PERF") != nil)) struct PingPongPerfTests {
    /// The plain futex ping-pong of the Nanos test (the reference the UMCG handoff is compared to).
    static func plainFutex(placement: Placement, seconds: Double) throws -> Double {
        let cpus = CPU.count
        let (a, b) = placement == .sameCPU ? (cpus - 1, cpus - 1) : (0, 1)
        final class Words: @unchecked Sendable {
            // SAFETY: atomics in raw memory, freed after both threads are joined.
            let atom = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 1)
            let stop = UnsafeMutablePointer<Atomic<Bool>>.allocate(capacity: 1)
            var addr: UnsafeMutablePointer<UInt32> { Futex.address(of: atom) }
            init() {
                atom.initialize(to: Atomic(0))
                stop.initialize(to: Atomic(false))
            }
            deinit {
                atom.deallocate()
                stop.deallocate()
            }
        }
        let words = Words()
        let peer = try OSThread(name: "test-thread") {
            try? CPU.pin(b)
            // Relaxed: the stop flag is a hint; the final wake below ends the wait.
            while !words.stop.pointee.load(ordering: .relaxed) {
                while words.atom.pointee.load(ordering: .acquiring) == 0 && !words.stop.pointee.load(ordering: .relaxed)
                {
                    _ = try? Futex.wait(words.addr, expected: 0)
                }
                words.atom.pointee.store(0, ordering: .releasing)
                _ = try? Futex.wake(words.addr)
            }
        }
        let result = ThreadLock<Double>(0)
        let main = try OSThread(name: "test-thread") {
            try? CPU.pin(a)
            let start = SystemClock.monotonicNanos()
            var cycles: UInt64 = 0
            let end = start + UInt64(seconds * 1e9)
            while true {
                words.atom.pointee.store(1, ordering: .releasing)
                _ = try? Futex.wake(words.addr)
                while words.atom.pointee.load(ordering: .acquiring) == 1 {
                    _ = try? Futex.wait(words.addr, expected: 1)
                }
                cycles += 1
                if cycles & 63 == 0 && SystemClock.monotonicNanos() >= end { break }
            }
            let rate = Double(cycles) * 1e9 / Double(SystemClock.monotonicNanos() - start)
            result.withLock { $0 = rate }
            words.stop.pointee.store(true, ordering: .relaxed)
            words.atom.pointee.store(1, ordering: .releasing)
            _ = try? Futex.wake(words.addr)
        }
        main.join()
        peer.join()
        return result.withLock { $0 }
    }

    /// A bare spin handoff across two CPUs (no futex, no bookkeeping): the ceiling for `.adaptive`.
    static func plainSpin(seconds: Double) throws -> Double {
        final class Word: @unchecked Sendable {
            // SAFETY: atomics in raw memory, freed after both threads are joined.
            let word = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 1)
            init() { word.initialize(to: Atomic(0)) }
            deinit { word.deallocate() }
        }
        let w = Word()
        let peer = try OSThread(name: "test-thread") {
            try? CPU.pin(1)
            while true {
                var v: UInt32 = 0
                repeat {
                    v = w.word.pointee.load(ordering: .acquiring)
                    CPU.relax()
                } while v == 0
                if v == 2 { return }
                w.word.pointee.store(0, ordering: .releasing)
            }
        }
        let rate = ThreadLock<Double>(0)
        let main = try OSThread(name: "test-thread") {
            try? CPU.pin(0)
            let start = SystemClock.monotonicNanos()
            let end = start + UInt64(seconds * 1e9)
            var cycles: UInt64 = 0
            while true {
                w.word.pointee.store(1, ordering: .releasing)
                while w.word.pointee.load(ordering: .acquiring) == 1 { CPU.relax() }
                cycles += 1
                if cycles & 255 == 0 && SystemClock.monotonicNanos() >= end { break }
            }
            let r = Double(cycles) * 1e9 / Double(SystemClock.monotonicNanos() - start)
            rate.withLock { $0 = r }
            w.word.pointee.store(2, ordering: .releasing)
        }
        main.join()
        peer.join()
        return rate.withLock { $0 }
    }

    /// A UMCG ping-pong with a hub drained by a consumer thread meanwhile (as the dashboard does).
    static func traced(_ handoff: HandoffMode, _ placement: Placement, seconds: Double) throws -> Double {
        let hub = TraceHub(ringCapacity: 1 << 16)
        let stop = ThreadLock(false)
        let drainer = try OSThread(name: "test-thread") {
            var word: UInt32 = 0
            while !stop.withLock({ $0 }) {
                hub.drain { _ in }
                _ = try? Futex.wait(&word, expected: 0, timeout: 1_000_000)
            }
        }
        defer {
            stop.withLock { $0 = true }
            drainer.join()
        }
        return try UMCGPingPong.run(handoff: handoff, placement: placement, seconds: seconds, hub: hub).cyclesPerSecond
    }

    /// Engine throughput: servers × workers running the pingpong (yield) workload, traced or not.
    @Test(arguments: [(2, 8, false), (2, 8, true), (1, 2, false), (2, 1000, false)])
    func engineSwitchRate(servers: Int, workers: Int, traced: Bool) throws {
        let hub = traced ? TraceHub(ringCapacity: 1 << 20) : nil
        let engine = try Engine(
            EngineConfiguration(servers: servers, workers: workers, workload: .pingpong, backend: .emulated, hub: hub))
        try engine.start()
        _ = waitUntil(seconds: 10) { engine.snapshot().workers.allSatisfy { $0.switches > 0 } }
        let a = engine.snapshot()
        var word: UInt32 = 0
        _ = try? Futex.wait(&word, expected: 0, timeout: 1_000_000_000)  // measure over ~1 s
        let b = engine.snapshot()
        engine.stop()
        let switches = b.servers.reduce(0) { $0 + $1.switches } - a.servers.reduce(0) { $0 + $1.switches }
        let rate = Double(switches) * 1e9 / Double(b.timestamp - a.timestamp)
        print("PERF engine pingpong servers=\(servers) workers=\(workers) traced=\(traced): \(Int(rate)) switches/s")
    }

    /// What the default live scenario does per second (mixed, one server per CPU, 8 workers).
    @Test func mixedProfile() throws {
        let hub = TraceHub(ringCapacity: 1 << 20)
        let engine = try Engine(EngineConfiguration(workload: .mixed, backend: .emulated, hub: hub))
        try engine.start()
        var word: UInt32 = 0
        _ = try? Futex.wait(&word, expected: 0, timeout: 2_000_000_000)
        let snap = engine.snapshot()
        engine.stop()
        var kinds: [String: Int] = [:]
        hub.drain { kinds[$0.kind.description, default: 0] += 1 }
        let busy = snap.servers.reduce(0) { $0 + $1.busyNanos }
        let idle = snap.servers.reduce(0) { $0 + $1.idleNanos }
        print("PERF mixed 2 s: events \(kinds.sorted { $0.key < $1.key }) dropped \(hub.dropped)")
        print("PERF mixed 2 s: server busy \(busy / 1_000_000) ms idle \(idle / 1_000_000) ms")
    }

    @Test func handoffRates() throws {
        let seconds = getenv("UMCG_PERF_SECONDS").flatMap { Double(String(cString: $0)) } ?? 1.0
        var rows: [String: [Double]] = [:]
        for _ in 0..<3 {
            rows["futex-plain same", default: []].append(try Self.plainFutex(placement: .sameCPU, seconds: seconds))
            rows["umcg-futex same", default: []].append(
                try UMCGPingPong.run(handoff: .futex, placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            rows["umcg-adaptive same", default: []].append(
                try UMCGPingPong.run(handoff: .adaptive, placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            if CPU.count >= 2 {
                rows["spin-plain cross", default: []].append(try Self.plainSpin(seconds: seconds))
                rows["futex-plain cross", default: []].append(
                    try Self.plainFutex(placement: .crossCPU, seconds: seconds))
                rows["umcg-adaptive cross", default: []].append(
                    try UMCGPingPong.run(handoff: .adaptive, placement: .crossCPU, seconds: seconds).cyclesPerSecond)
                rows["umcg-futex cross", default: []].append(
                    try UMCGPingPong.run(handoff: .futex, placement: .crossCPU, seconds: seconds).cyclesPerSecond)
                rows["umcg-adaptive cross traced", default: []].append(
                    try Self.traced(.adaptive, .crossCPU, seconds: seconds))
                rows["umcg-adaptive cross traced-undrained", default: []].append(
                    try UMCGPingPong.run(
                        handoff: .adaptive, placement: .crossCPU, seconds: seconds, hub: TraceHub(ringCapacity: 1 << 16)
                    ).cyclesPerSecond)
            }
            rows["umcg-futex same traced", default: []].append(try Self.traced(.futex, .sameCPU, seconds: seconds))
        }
        func mean(_ k: String) -> Double { rows[k].map { $0.reduce(0, +) / Double($0.count) } ?? 0 }
        for k in rows.keys.sorted() {
            print("PERF \(k): mean \(Int(mean(k))) cycles/s  rounds \(rows[k]!.map { Int($0) })")
        }
        print("PERF ratio umcg-futex/futex-plain same-cpu: \(mean("umcg-futex same") / mean("futex-plain same"))")
        print("PERF ratio traced/untraced umcg-futex same: \(mean("umcg-futex same traced") / mean("umcg-futex same"))")
        if CPU.count >= 2 {
            print(
                "PERF ratio umcg-adaptive cross/spin-plain cross: \(mean("umcg-adaptive cross") / mean("spin-plain cross"))"
            )
            print(
                "PERF ratio traced/untraced adaptive cross: \(mean("umcg-adaptive cross traced") / mean("umcg-adaptive cross"))"
            )
        }
    }
}
