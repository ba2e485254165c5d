#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import UMCGTrace

@testable import UMCGEngine

/// Handoff measurements, printed not asserted (the machine is noisy). Runs only with UMCG_PERF=1:
/// `UMCG_PERF=1 swift test -c release --filter PingPongPerfTests`.
@Suite(.enabled(if: getenv("UMCG_PERF") != nil)) struct PingPongPerfTests {
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
        let peer = try OSThread {
            try? CPU.pin(b)
            // Relaxed: the stop flag is a hint; the final wake below ends the wait.
            while !words.stop.pointee.load(ordering: .relaxed) {
                while words.atom.pointee.load(ordering: .acquiring) == 0 && !words.stop.pointee.load(ordering: .relaxed) {
                    _ = try? Futex.wait(words.addr, expected: 0)
                }
                words.atom.pointee.store(0, ordering: .releasing)
                _ = try? Futex.wake(words.addr)
            }
        }
        let result = Mutex<Double>(0)
        let main = try OSThread {
            try? CPU.pin(a)
            let start = Clock.monotonicNanos()
            var cycles: UInt64 = 0
            let end = start + UInt64(seconds * 1e9)
            while true {
                words.atom.pointee.store(1, ordering: .releasing)
                _ = try? Futex.wake(words.addr)
                while words.atom.pointee.load(ordering: .acquiring) == 1 { _ = try? Futex.wait(words.addr, expected: 1) }
                cycles += 1
                if cycles & 63 == 0 && Clock.monotonicNanos() >= end { break }
            }
            let rate = Double(cycles) * 1e9 / Double(Clock.monotonicNanos() - start)
            result.withLock { $0 = rate }
            words.stop.pointee.store(true, ordering: .relaxed)
            words.atom.pointee.store(1, ordering: .releasing)
            _ = try? Futex.wake(words.addr)
        }
        main.join()
        peer.join()
        return result.withLock { $0 }
    }

    @Test func handoffRates() throws {
        let seconds = 1.0
        var rows: [String: [Double]] = [:]
        for _ in 0..<3 {
            rows["futex-plain same", default: []].append(try Self.plainFutex(placement: .sameCPU, seconds: seconds))
            rows["umcg-futex same", default: []].append(
                try UMCGPingPong.run(handoff: .futex, placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            rows["umcg-adaptive same", default: []].append(
                try UMCGPingPong.run(handoff: .adaptive, placement: .sameCPU, seconds: seconds).cyclesPerSecond)
            if CPU.count >= 2 {
                rows["futex-plain cross", default: []].append(try Self.plainFutex(placement: .crossCPU, seconds: seconds))
                rows["umcg-adaptive cross", default: []].append(
                    try UMCGPingPong.run(handoff: .adaptive, placement: .crossCPU, seconds: seconds).cyclesPerSecond)
                rows["umcg-futex cross", default: []].append(
                    try UMCGPingPong.run(handoff: .futex, placement: .crossCPU, seconds: seconds).cyclesPerSecond)
                let hub = TraceHub(ringCapacity: 1 << 16)
                rows["umcg-adaptive cross traced", default: []].append(
                    try UMCGPingPong.run(handoff: .adaptive, placement: .crossCPU, seconds: seconds, hub: hub).cyclesPerSecond)
            }
            let hub = TraceHub(ringCapacity: 1 << 16)
            rows["umcg-futex same traced", default: []].append(
                try UMCGPingPong.run(handoff: .futex, placement: .sameCPU, seconds: seconds, hub: hub).cyclesPerSecond)
        }
        func mean(_ k: String) -> Double { rows[k].map { $0.reduce(0, +) / Double($0.count) } ?? 0 }
        for k in rows.keys.sorted() {
            print("PERF \(k): mean \(Int(mean(k))) cycles/s  rounds \(rows[k]!.map { Int($0) })")
        }
        print("PERF ratio umcg-futex/futex-plain same-cpu: \(mean("umcg-futex same") / mean("futex-plain same"))")
        print("PERF ratio traced/untraced umcg-futex same: \(mean("umcg-futex same traced") / mean("umcg-futex same"))")
        if CPU.count >= 2 {
            print("PERF ratio traced/untraced adaptive cross: \(mean("umcg-adaptive cross traced") / mean("umcg-adaptive cross"))")
        }
    }
}
