import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGBench
@testable import UMCGEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Handoff measurements. The numbers are printed, never compared with a speed goal (the machine is
/// noisy; goals belong to `umcgtop bench` and Benchmarks/); what is asserted is that every run ran
/// and its counters agree. Runs only with UMCG_PERF=1:
/// `UMCG_PERF=1 swift test -c release --filter PingPongPerfTests`.
@Suite(
    .serialized,
    .enabled(if: getenv("UMCG_PERF") != nil, "opt-in profiles: UMCG_PERF=1 swift test --filter PingPongPerfTests"))
struct PingPongPerfTests {
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

    /// Sum of the servers' switches and sum of the workers' switches (equal once the engine stopped).
    static func switchTotals(_ snap: Snapshot) -> (servers: UInt64, workers: UInt64) {
        (snap.servers.reduce(0) { $0 + $1.switches }, snap.workers.reduce(0) { $0 + $1.switches })
    }

    /// Every switch pushes one `.switchTo` (StressTests checks it without drops): with drops, the
    /// events seen are at most the switches, and the switches at most the events seen plus dropped.
    static func expectTraceMatches(switches: UInt64, switchEvents: UInt64, dropped: UInt64) {
        #expect(switchEvents <= switches, "\(switchEvents) switch events for \(switches) switches")
        #expect(switches <= switchEvents + dropped, "\(switches) switches, \(switchEvents) events, \(dropped) dropped")
    }

    /// Engine throughput: servers × workers running the pingpong (yield) workload, traced or not.
    @Test(arguments: [(2, 8, false), (2, 8, true), (1, 2, false), (2, 1000, false)])
    func engineSwitchRate(servers: Int, workers: Int, traced: Bool) throws {
        let hub = traced ? TraceHub(ringCapacity: 1 << 20) : nil
        let engine = try Engine(
            EngineConfiguration(servers: servers, workers: workers, workload: .pingpong, backend: .emulated, hub: hub))
        try engine.start()
        #expect(waitUntil(seconds: 10) { engine.snapshot().workers.allSatisfy { $0.switches > 0 } })
        let a = engine.snapshot()
        var word: UInt32 = 0
        _ = try? Futex.wait(&word, expected: 0, timeout: 1_000_000_000)  // measure over ~1 s
        let b = engine.snapshot()
        #expect(engine.stop(timeout: 60))
        let switches = Self.switchTotals(b).servers - Self.switchTotals(a).servers
        #expect(b.timestamp > a.timestamp)
        let rate = Double(switches) * 1e9 / Double(b.timestamp - a.timestamp)
        print("PERF engine pingpong servers=\(servers) workers=\(workers) traced=\(traced): \(Int(rate)) switches/s")
        #expect(switches > 0)
        #expect(rate.isFinite && rate > 0)
        #expect(engine.failedWorkers == 0)
        let end = engine.snapshot()
        let totals = Self.switchTotals(end)
        #expect(totals.servers == totals.workers)
        #expect(totals.servers >= Self.switchTotals(b).servers)
        if let hub {
            var switchEvents: UInt64 = 0
            hub.drain { if $0.kind == .switchTo { switchEvents += 1 } }
            #expect(switchEvents > 0)
            Self.expectTraceMatches(switches: totals.servers, switchEvents: switchEvents, dropped: hub.dropped)
        }
    }

    /// What the default live scenario does per second (mixed, one server per CPU, 8 workers).
    @Test func mixedProfile() throws {
        let hub = TraceHub(ringCapacity: 1 << 20)
        let engine = try Engine(EngineConfiguration(workload: .mixed, backend: .emulated, hub: hub))
        try engine.start()
        var word: UInt32 = 0
        _ = try? Futex.wait(&word, expected: 0, timeout: 2_000_000_000)
        let snap = engine.snapshot()
        #expect(engine.stop(timeout: 60))
        var kinds: [TraceEventKind: UInt64] = [:]
        hub.drain { kinds[$0.kind, default: 0] += 1 }
        let busy = snap.servers.reduce(0) { $0 + $1.busyNanos }
        let idle = snap.servers.reduce(0) { $0 + $1.idleNanos }
        let named = kinds.map { ($0.key.description, $0.value) }.sorted { $0.0 < $1.0 }
        print("PERF mixed 2 s: events \(named) dropped \(hub.dropped)")
        print("PERF mixed 2 s: server busy \(busy / 1_000_000) ms idle \(idle / 1_000_000) ms")
        #expect(engine.failedWorkers == 0)
        #expect(busy > 0)
        // Every worker registered and ran (a register event each, unless the ring dropped it).
        let end = engine.snapshot()
        #expect(UInt64(end.workers.count) <= kinds[.register, default: 0] + hub.dropped)
        #expect(end.workers.allSatisfy { $0.switches > 0 })
        let totals = Self.switchTotals(end)
        #expect(totals.servers == totals.workers)
        Self.expectTraceMatches(
            switches: totals.servers, switchEvents: kinds[.switchTo, default: 0], dropped: hub.dropped)
    }

    /// The handoffs side by side: the futex baseline (`FutexPingPong`, as `umcgtop bench` runs it),
    /// a bare spin, and the UMCG ping-pong in both handoff modes, traced or not.
    @Test func handoffRates() throws {
        let seconds = getenv("UMCG_PERF_SECONDS").flatMap { Double(String(cString: $0)) } ?? 1.0
        let rounds = 3
        var rows: [String: [Double]] = [:]
        for _ in 0..<rounds {
            rows["futex-plain same", default: []].append(
                try FutexPingPong.run(placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            rows["umcg-futex same", default: []].append(
                try UMCGPingPong.run(handoff: .futex, placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            rows["umcg-adaptive same", default: []].append(
                try UMCGPingPong.run(handoff: .adaptive, placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            if CPU.count >= 2 {
                rows["spin-plain cross", default: []].append(try Self.plainSpin(seconds: seconds))
                rows["futex-plain cross", default: []].append(
                    try FutexPingPong.run(placement: .crossCPU, seconds: seconds).cyclesPerSecond)
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
            print("PERF \(k): mean \(Int(mean(k))) cycles/s  rounds \(rows[k, default: []].map { Int($0) })")
        }
        var ratios = [
            ("umcg-futex/futex-plain same-cpu", mean("umcg-futex same") / mean("futex-plain same")),
            ("traced/untraced umcg-futex same", mean("umcg-futex same traced") / mean("umcg-futex same")),
        ]
        if CPU.count >= 2 {
            ratios.append(
                ("umcg-adaptive cross/spin-plain cross", mean("umcg-adaptive cross") / mean("spin-plain cross")))
            ratios.append(
                ("traced/untraced adaptive cross", mean("umcg-adaptive cross traced") / mean("umcg-adaptive cross")))
        }
        for (name, ratio) in ratios { print("PERF ratio \(name): \(ratio)") }

        // Every method reported, once per round, each with a real rate; every ratio a real number.
        var expected: Set = ["futex-plain same", "umcg-futex same", "umcg-adaptive same", "umcg-futex same traced"]
        if CPU.count >= 2 {
            expected.formUnion([
                "spin-plain cross", "futex-plain cross", "umcg-adaptive cross", "umcg-futex cross",
                "umcg-adaptive cross traced", "umcg-adaptive cross traced-undrained",
            ])
        }
        #expect(Set(rows.keys) == expected)
        for (k, rates) in rows {
            #expect(rates.count == rounds, "\(k): \(rates.count) rounds")
            #expect(rates.allSatisfy { $0.isFinite && $0 > 0 }, "\(k): \(rates)")
        }
        for (name, ratio) in ratios { #expect(ratio.isFinite && ratio > 0, "\(name): \(ratio)") }
    }
}
