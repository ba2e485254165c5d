import Benchmark
import BenchmarkSupport
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// `TraceRing`: the producer's push (the engine's hot path) and the consumer's drain, on one thread and on two.
let benchmarks: @Sendable () -> Void = {
    // Push only: a ring big enough for one run's million events, emptied (untimed) before each run,
    // so every timed push takes the normal path (no drops). Must show 0 mallocs.
    let big = RingBox()
    Benchmark(
        "TraceRing push (1M events, no drain)",
        configuration: umcgConfiguration(
            scaling: .mega, setup: { big.ring = TraceRing(minimumCapacity: 1 << 20, label: "bench-push") },
            teardown: { big.report() })
    ) { benchmark in
        guard let ring = big.ring else { return }
        ring.drain { _ in }
        benchmark.startMeasurement()
        var e = TraceEvent(timestamp: big.clock, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
        for _ in benchmark.scaledIterations {
            e.timestamp &+= 1
            ring.push(e)
        }
        benchmark.stopMeasurement()
        big.clock = e.timestamp
    }

    // Push into a full ring: the drop-counting path (a slow consumer). Must show 0 mallocs too.
    let full = RingBox()
    Benchmark(
        "TraceRing push into a full ring (drop path)",
        configuration: umcgConfiguration(
            scaling: .mega,
            setup: {
                let ring = TraceRing(minimumCapacity: 1024, label: "bench-full")
                var e = TraceEvent(timestamp: 0, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
                while ring.push(e) { e.timestamp &+= 1 }
                full.ring = ring
            })
    ) { benchmark in
        guard let ring = full.ring else { return }
        var e = TraceEvent(timestamp: full.clock, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
        for _ in benchmark.scaledIterations {
            e.timestamp &+= 1
            ring.push(e)
        }
        full.clock = e.timestamp
        blackHole(ring.dropped)
    }

    // Push + drain on one thread: 1024 pushes then a drain, as the pump sees a busy producer.
    // The per-event cost of both ends without cache-line transfers between cores.
    let serial = RingBox()
    Benchmark(
        "TraceRing push+drain (1 thread, 64K ring)",
        configuration: umcgConfiguration(
            scaling: .mega, setup: { serial.ring = TraceRing(minimumCapacity: 1 << 16, label: "bench-serial") },
            teardown: { serial.report() })
    ) { benchmark in
        guard let ring = serial.ring else { return }
        var e = TraceEvent(timestamp: serial.clock, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
        var checksum: UInt64 = 0
        for i in benchmark.scaledIterations {
            e.timestamp &+= 1
            ring.push(e)
            if i & 1023 == 1023 { ring.drain { checksum &+= $0.timestamp } }
        }
        ring.drain { checksum &+= $0.timestamp }
        serial.clock = e.timestamp
        blackHole(checksum)
    }

    // Push on a producer thread, drain on the benchmark's thread: the live pipeline's two ends on two
    // cores (or one, when the scheduler puts them together). The producer never overruns the ring (it waits
    // for room every 1024 events), so all 1M events arrive; the run includes starting and joining the thread.
    let spsc = RingBox()
    Benchmark(
        "TraceRing push -> drain (2 threads, 64K ring)",
        configuration: umcgConfiguration(
            scaling: .mega, setup: { spsc.ring = TraceRing(minimumCapacity: 1 << 16, label: "bench-spsc") },
            teardown: { spsc.report() })
    ) { benchmark in
        guard let ring = spsc.ring else { return }
        let total = benchmark.scaledIterations.count
        let start = spsc.clock
        let producer = ThreadLauncher.spawn(name: "test-thread") {
            var e = TraceEvent(timestamp: start, kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 0)
            let highWater = ring.capacity - 1024  // at most this many waiting: room for 1024 more
            for i in 0..<total {
                if i & 1023 == 0 {
                    while ring.count > highWater { spinPause() }
                }
                e.timestamp &+= 1
                ring.push(e)
            }
        }
        guard let producer else {
            print("error: cannot start the producer thread")
            return
        }
        var received = 0
        var checksum: UInt64 = 0
        while received < total {
            let n = ring.drain { checksum &+= $0.timestamp }
            if n == 0 { spinPause() }
            received += n
        }
        ThreadLauncher.join(producer)
        spsc.clock = start &+ UInt64(total)
        blackHole(checksum)
    }
}

/// Gives the core away while waiting for the other thread (on a loaded 2-vCPU machine it may share our core).
@inline(__always)
func spinPause() { _ = sched_yield() }

/// The ring a benchmark made in its setup, and the timestamp to continue from.
final class RingBox {
    var ring: TraceRing?
    var clock: UInt64 = 0

    /// Prints a warning if pushes that should all have fit were dropped (the numbers would then be wrong).
    func report() {
        if let ring, ring.dropped != 0 {
            print("warning: \(ring.label) dropped \(ring.dropped) events; results measure the drop path")
        }
    }
}
