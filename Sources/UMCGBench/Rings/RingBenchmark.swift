import Synchronization
import UMCGSystem
import UMCGTrace

/// Measures `TraceRing` throughput: one producer thread pushing as fast as it can, one consumer draining.
///
/// The result is printed by callers, never asserted (the machine is shared and noisy).
public enum RingBenchmark {
    /// Runs for about `seconds`; `pin` (if given) is called first on each thread with 0 (producer) or 1 (consumer)
    /// so the caller can pin them to CPUs (UMCGTrace has no affinity call of its own).
    /// Returns events consumed per second and events dropped because the ring was full.
    public static func run(
        seconds: Double, ringCapacity: Int = 1 << 16, pin: (@Sendable (Int) -> Void)? = nil
    ) -> (eventsPerSecond: Double, drops: UInt64) {
        let ring = TraceRing(minimumCapacity: ringCapacity, label: "bench")
        let flags = BenchFlags()
        let producer = ThreadLauncher.spawn(name: "ring-bench") {
            pin?(0)
            var t: UInt64 = 0
            var e = TraceEvent(timestamp: 0, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
            // Acquiring: pairs with the consumer's releasing store of `stop`.
            while !flags.stop.load(ordering: .acquiring) {
                for _ in 0..<1024 {
                    t &+= 1
                    e.timestamp = t
                    ring.push(e)
                }
            }
        }
        guard let producer else { return (0, 0) }
        let consumer = ThreadLauncher.spawn(name: "ring-bench") {
            pin?(1)
            var consumed: UInt64 = 0
            var checksum: UInt64 = 0
            let start = TracePump.monotonicNanoseconds()
            let limit = UInt64(max(0, seconds) * 1e9)
            var now = start
            while now &- start < limit {
                consumed &+= UInt64(ring.drain { checksum &+= $0.timestamp })
                now = TracePump.monotonicNanoseconds()
            }
            // Releasing: pairs with the producer's acquiring load.
            flags.stop.store(true, ordering: .releasing)
            // Relaxed: the join below orders these for the caller.
            flags.consumed.store(consumed, ordering: .relaxed)
            flags.elapsed.store(max(1, now &- start), ordering: .relaxed)
            flags.checksum.store(checksum, ordering: .relaxed)
        }
        if let consumer {
            ThreadLauncher.join(consumer)
        } else {
            // Releasing: pairs with the producer's acquiring load.
            flags.stop.store(true, ordering: .releasing)
        }
        ThreadLauncher.join(producer)
        // Relaxed: the threads were joined.
        let consumed = Double(flags.consumed.load(ordering: .relaxed))
        let elapsed = Double(flags.elapsed.load(ordering: .relaxed))
        return (elapsed > 0 ? consumed / elapsed * 1e9 : 0, ring.dropped)
    }

    /// One thread alternating 1024 pushes and a drain for about `seconds`: the per-event cost of push + drain
    /// without cache-line transfers or scheduling (an upper bound; noise-free on a shared machine).
    public static func serial(seconds: Double) -> Double {
        let ring = TraceRing(minimumCapacity: 1 << 16, label: "bench-serial")
        var e = TraceEvent(timestamp: 0, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
        var checksum: UInt64 = 0
        var consumed: UInt64 = 0
        let start = TracePump.monotonicNanoseconds()
        let limit = UInt64(max(0, seconds) * 1e9)
        var now = start
        while now &- start < limit {
            for _ in 0..<1024 {
                e.timestamp &+= 1
                ring.push(e)
            }
            consumed &+= UInt64(ring.drain { checksum &+= $0.timestamp })
            now = TracePump.monotonicNanoseconds()
        }
        return checksum == 0 ? 0 : Double(consumed) / Double(max(1, now &- start)) * 1e9
    }
}

/// Shared flags of one benchmark run.
private final class BenchFlags: Sendable {
    let stop = Atomic<Bool>(false)
    let consumed = Atomic<UInt64>(0)
    let elapsed = Atomic<UInt64>(0)
    let checksum = Atomic<UInt64>(0)
}
