import Synchronization
import UMCGEngine
import UMCGSystem

/// The kernel's floor under `ScaleBench`: the same number of plain threads, the same stacks and
/// futex hash, and no engine. One thread per server, pinned like the engine's servers, wakes its
/// share of the workers in turn (store 1, FUTEX_WAKE) and sleeps in FUTEX_WAIT until the woken
/// one wakes it back. One such round trip is the kernel's part of one engine switch (two context
/// switches, a wake and a wait on each side), so engine ÷ floor is what the engine adds, and the
/// floor's own growth with the thread count is what no user-space scheduler can remove.
public enum FutexRoundRobin {
    /// Switches counted and the window they were counted in.
    public struct Result: Sendable, Equatable {
        /// Round trips in the window, all servers.
        public var switches: UInt64
        /// Length of the window in seconds.
        public var seconds: Double
        /// Server threads.
        public var servers: Int

        /// Nanoseconds per switch per server (the engine's `ScaleResult.nanosPerSwitch` unit).
        public var nanosPerSwitch: Double {
            switches > 0 && seconds > 0 ? seconds * 1e9 * Double(servers) / Double(switches) : 0
        }
    }

    /// Runs `workers` threads under `servers` for `seconds` after every worker ran once and a
    /// warm-up of `warmUp` seconds. Throws `EngineError` when threads or stacks cannot be had.
    public static func run(
        workers: Int, servers: Int, seconds: Double, warmUp: Double, stacks: WorkerStacks, stackBytes: Int,
        growFutexHash: Bool = true
    ) throws -> Result {
        guard workers >= 1, servers >= 1, workers <= Engine.maxWorkers, servers <= Engine.maxServers else {
            throw EngineError(
                "the futex floor needs 1...\(Engine.maxWorkers) workers and 1...\(Engine.maxServers) servers")
        }
        if growFutexHash { _ = try? FutexHash.reserve(threads: servers + workers + 8) }
        let pool: StackPool?
        do {
            pool =
                stacks == .pooled
                ? try StackPool(count: workers, stackBytes: Engine.poolStackBytes(stackBytes), paint: false) : nil
        } catch {
            throw EngineError("cannot map \(workers) stacks for the futex floor: \(error)")
        }
        let shared = Shared(workers: workers, servers: servers)
        let cpus = CPU.allowed()
        var threads: [OSThread] = []
        defer {
            shared.stopAll()
            for t in threads { t.join() }
            pool?.unmap()
        }
        do {
            try SignalMask.withAsyncSignalsBlocked { () throws(Errno) in
                for i in 0..<workers {
                    let cpu = cpus[(i % servers) % cpus.count]
                    threads.append(
                        try OSThread(name: "floor-w\(i)", stackSize: stackBytes, stack: pool?.stack(i)) {
                            shared.worker(i, cpu: cpu)
                        })
                }
                for s in 0..<servers {
                    let cpu = cpus[s % cpus.count]
                    threads.append(
                        try OSThread(name: "floor-srv\(s)", stackSize: 256 << 10) { shared.server(s, cpu: cpu) })
                }
            }
        } catch {
            throw EngineError("cannot start the futex floor's threads: \(error)")
        }
        // Every worker woken once (bounded: 60 s), then the warm-up, then the window.
        let ready = SystemClock.monotonicNanos() &+ 60_000_000_000
        while SystemClock.monotonicNanos() < ready && shared.total < UInt64(workers) {
            ScaleBench.pause(nanos: 5_000_000)
        }
        ScaleBench.pause(nanos: UInt64(max(0, warmUp) * 1e9))
        let first = shared.total
        let t0 = SystemClock.monotonicNanos()
        ScaleBench.pause(nanos: UInt64(seconds * 1e9))
        let last = shared.total
        let t1 = SystemClock.monotonicNanos()
        return Result(switches: last &- first, seconds: Double(t1 - t0) / 1e9, servers: servers)
    }

    /// The words the threads hand each other: one per worker, one per server, a stop flag and one
    /// counter per server, each on its own 128-byte line.
    final class Shared: Sendable {
        let workers: Int
        let servers: Int
        let words: PaddedWords

        init(workers: Int, servers: Int) {
            self.workers = workers
            self.servers = servers
            words = PaddedWords(words32: workers + servers + 1, words64: servers)
        }

        @inline(__always) func word(worker i: Int) -> UnsafeMutablePointer<Atomic<UInt32>> { words.word32(i) }
        @inline(__always) func word(server s: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
            words.word32(workers + s)
        }
        @inline(__always) var stop: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(workers + servers) }

        /// Round trips of all servers so far.
        var total: UInt64 {
            // Relaxed: statistics.
            (0..<servers).reduce(0) { $0 &+ words.word64($1).pointee.load(ordering: .relaxed) }
        }

        /// Sleeps until `word` holds 1, then clears it.
        @inline(__always)
        func take(_ word: UnsafeMutablePointer<Atomic<UInt32>>) {
            // The acquiring load in `wait` pairs with `give`'s releasing store.
            FutexHandoff.wait(word, while: 0)
            // Relaxed: only this thread clears its own word.
            word.pointee.store(0, ordering: .relaxed)
        }

        /// Stores 1 into `word` and wakes its thread (the releasing store pairs with `take`).
        @inline(__always)
        func give(_ word: UnsafeMutablePointer<Atomic<UInt32>>) {
            FutexHandoff.give(word, 1)
        }

        func worker(_ i: Int, cpu: Int) {
            try? CPU.pin(cpu)
            let s = i % servers
            while true {
                take(word(worker: i))
                // Acquiring: pairs with stopAll's releasing store.
                let stopping = stop.pointee.load(ordering: .acquiring) != 0
                give(word(server: s))  // always answer, so a server never waits for a stopped worker
                if stopping { return }
            }
        }

        func server(_ s: Int, cpu: Int) {
            try? CPU.pin(cpu)
            guard s < workers else { return }
            var n: UInt64 = 0
            while true {
                var i = s
                while i < workers {
                    // Relaxed: checked between round trips; stopAll wakes every worker afterwards.
                    if stop.pointee.load(ordering: .relaxed) != 0 { return }
                    give(word(worker: i))
                    take(word(server: s))
                    n &+= 1
                    // Relaxed: a statistic.
                    words.word64(s).pointee.store(n, ordering: .relaxed)
                    i += servers
                }
            }
        }

        /// Stops the servers and wakes every worker so it returns (each answers its server once more).
        func stopAll() {
            // Releasing: pairs with the workers' acquiring load after `take`.
            stop.pointee.store(1, ordering: .releasing)
            for i in 0..<workers { give(word(worker: i)) }
        }
    }
}
