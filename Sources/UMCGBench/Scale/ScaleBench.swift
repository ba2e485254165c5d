import UMCGEngine
import UMCGSystem

/// One worker count of `ScaleBench`: switch rate, per-switch cost and memory per worker.
public struct ScaleResult: Sendable, Equatable {
    /// Worker threads.
    public var workers: Int
    /// Server threads.
    public var servers: Int
    /// Length of the measured window in seconds (after the warm-up).
    public var seconds: Double
    /// Server switches (CTX_SWITCHes) in the window, all servers.
    public var switches: UInt64
    /// Seconds from `start()` until the engine was running (all threads created, tids published).
    public var startSeconds: Double
    /// Bytes the engine allocates per worker, and the stack reserved per worker thread.
    public var memory: EngineMemoryReport
    /// VmRSS growth from before the engine was created to the end of the warm-up, per worker
    /// (nil when /proc/self/status is unreadable).
    public var rssBytesPerWorker: Double?
    /// Private futex hash buckets during the run (nil: unknown or the kernel has none).
    public var futexHashBuckets: Int?
    /// Where the worker stacks were.
    public var stacks: WorkerStacks = .system
    /// The backend the engine ran on (the one `Plan.backend` selected).
    public var backend: BackendKind = .emulated
    /// How deep the pooled stacks were used, and overflows (nil with system stacks).
    public var stackUsage: StackUsage?
    /// Bytes of the process on transparent huge pages after the warm-up (nil when unknown).
    public var hugePageBytes: Int?
    /// ns per switch of `FutexRoundRobin` with the same threads and stacks, measured right after
    /// (nil when not measured).
    public var floorNanosPerSwitch: Double?

    /// Creates a result.
    public init(
        workers: Int, servers: Int, seconds: Double, switches: UInt64, startSeconds: Double,
        memory: EngineMemoryReport, rssBytesPerWorker: Double?, futexHashBuckets: Int? = nil,
        floorNanosPerSwitch: Double? = nil
    ) {
        self.futexHashBuckets = futexHashBuckets
        self.floorNanosPerSwitch = floorNanosPerSwitch
        self.workers = workers
        self.servers = servers
        self.seconds = seconds
        self.switches = switches
        self.startSeconds = startSeconds
        self.memory = memory
        self.rssBytesPerWorker = rssBytesPerWorker
    }

    /// Switches per second per server.
    public var switchesPerSecondPerServer: Double {
        seconds > 0 && servers > 0 ? Double(switches) / seconds / Double(servers) : 0
    }

    /// Nanoseconds one server spends per switch (1e9 / switches per second per server).
    public var nanosPerSwitch: Double {
        let rate = switchesPerSecondPerServer
        return rate > 0 ? 1e9 / rate : 0
    }

    /// Engine cost per switch ÷ the futex floor's (nil without a floor).
    public var overFloor: Double? {
        guard let f = floorNanosPerSwitch, f > 0, nanosPerSwitch > 0 else { return nil }
        return nanosPerSwitch / f
    }
}

/// Every run of a scale benchmark and, per worker count, the median of its rounds.
public struct ScaleReport: Sendable, Equatable {
    /// Every run in the order run: round by round, each round every worker count.
    public var runs: [ScaleResult]

    /// Creates a report.
    public init(runs: [ScaleResult]) { self.runs = runs }

    /// Creates a report of single runs (one round).
    public init(results: [ScaleResult]) { self.runs = results }

    /// The worker counts in the order first run.
    public var workerCounts: [Int] {
        var seen: [Int] = []
        for r in runs where !seen.contains(r.workers) { seen.append(r.workers) }
        return seen
    }

    /// Per worker count (in `workerCounts` order): its run with the median ns/switch (the lower
    /// middle one for an even number of rounds), carrying the median floor of its rounds and the
    /// stack usage of all of them (the deepest use, every overflow).
    public var results: [ScaleResult] {
        workerCounts.compactMap { n in
            let mine = runs.filter { $0.workers == n }
            let byCost = mine.sorted { $0.nanosPerSwitch < $1.nanosPerSwitch }
            guard var median = byCost.isEmpty ? nil : byCost[(byCost.count - 1) / 2] else { return nil }
            let floors = mine.compactMap(\.floorNanosPerSwitch).sorted()
            median.floorNanosPerSwitch = floors.isEmpty ? nil : floors[(floors.count - 1) / 2]
            let usages = mine.compactMap(\.stackUsage)
            if var usage = usages.first {
                usage.maxUsedBytes = usages.compactMap(\.maxUsedBytes).max()
                usage.overflowed = usages.reduce(0) { $0 + $1.overflowed }
                median.stackUsage = usage
            }
            return median
        }
    }

    /// ns/switch of every round for `workers`, in the order run.
    public func rounds(of workers: Int) -> [Double] { runs.filter { $0.workers == workers }.map(\.nanosPerSwitch) }

    /// Median per-switch cost at the largest worker count divided by the one at the smallest (the
    /// goal is at most 1.5: no scan over all workers on the switch path); nil with fewer than two counts.
    public var costRatio: Double? { ratio(\.nanosPerSwitch) }

    /// The same ratio for the futex floor: how much of the growth the kernel itself shows.
    public var floorRatio: Double? { ratio { $0.floorNanosPerSwitch ?? 0 } }

    private func ratio(_ cost: (ScaleResult) -> Double) -> Double? {
        let medians = results
        guard let small = medians.min(by: { $0.workers < $1.workers }),
            let large = medians.max(by: { $0.workers < $1.workers }),
            large.workers != small.workers, cost(small) > 0, cost(large) > 0
        else { return nil }
        return cost(large) / cost(small)
    }
}

/// Scale benchmark: the `pingpong` workload (every worker yields in a loop) on the default servers
/// for several worker counts; measures switches per second per server, the cost of one switch and
/// the memory per worker, and right after each engine run the `FutexRoundRobin` floor with the
/// same threads. Rounds are interleaved (each round runs every count) and the report takes the
/// median per count, so drift on a shared machine hits all counts alike. Run it on an otherwise
/// idle machine; it prints, never asserts, timings.
public enum ScaleBench {
    /// The default worker counts: the dashboard's 8, then 1,000 and 10,000.
    public static let defaultWorkerCounts = [8, 1_000, 10_000]
    /// The default worker stack for scale runs with system stacks (only touched pages are resident;
    /// 256 KiB is the engine's default).
    public static let defaultStackBytes = 64 << 10
    /// The default with pooled stacks, which are resident in full: a pingpong worker's deepest use
    /// is about 15 KiB in a release build (its first steps through the Swift runtime's one-time
    /// setup), 5–6 KiB afterwards.
    public static let defaultPooledStackBytes = 32 << 10

    /// The default stack size for `stacks`.
    public static func defaultStackBytes(for stacks: WorkerStacks) -> Int {
        stacks == .pooled ? defaultPooledStackBytes : defaultStackBytes
    }

    /// What to run.
    public struct Plan: Sendable, Equatable {
        /// Worker counts, run in this order.
        public var workerCounts: [Int]
        /// Seconds measured per worker count (after a warm-up of a quarter of it, at least 0.2 s).
        public var seconds: Double
        /// Server threads (default one per CPU).
        public var servers: Int
        /// Stack size of each worker thread.
        public var stackBytes: Int
        /// Backend choice.
        public var backend: BackendChoice
        /// Explicit syscall number for the kernel backend.
        public var umcgSyscall: Int?
        /// Grow the private futex hash for the threads (false: the kernel's default, to compare).
        public var growFutexHash = true
        /// Where worker stacks live (`.pooled` puts them on huge pages; measured no faster here
        /// once servers prefetch, see docs/PERFORMANCE.md).
        public var stacks: WorkerStacks = .system
        /// Rounds; each runs every worker count once, and the report takes the median.
        public var rounds = 3
        /// Also measure the `FutexRoundRobin` floor after each engine run.
        public var floor = true

        /// Creates a plan.
        public init(
            workerCounts: [Int] = ScaleBench.defaultWorkerCounts, seconds: Double = 2, servers: Int = CPU.count,
            stackBytes: Int = ScaleBench.defaultStackBytes, backend: BackendChoice = .auto, umcgSyscall: Int? = nil
        ) {
            self.workerCounts = workerCounts
            self.seconds = seconds
            self.servers = servers
            self.stackBytes = stackBytes
            self.backend = backend
            self.umcgSyscall = umcgSyscall
        }
    }

    /// Runs `plan.rounds` rounds of every worker count; `progress` is called after each run with
    /// its round (0-based). Throws `EngineError` when an engine cannot be created or started, or
    /// does not stop in time.
    public static func run(_ plan: Plan, progress: (Int, ScaleResult) -> Void = { _, _ in }) throws -> ScaleReport {
        guard plan.seconds.isFinite, plan.seconds > 0, plan.seconds <= 600 else {
            throw EngineError("seconds must be > 0 and at most 600 (got \(plan.seconds))")
        }
        guard (1...100).contains(plan.rounds) else {
            throw EngineError("rounds must be between 1 and 100 (got \(plan.rounds))")
        }
        var runs: [ScaleResult] = []
        for round in 0..<plan.rounds {
            for n in plan.workerCounts {
                var r = try runOne(plan, workers: n)
                if plan.floor {
                    r.floorNanosPerSwitch =
                        try FutexRoundRobin.run(
                            workers: n, servers: plan.servers, seconds: plan.seconds, warmUp: warmUpSeconds(plan),
                            stacks: plan.stacks, stackBytes: plan.stackBytes, growFutexHash: plan.growFutexHash
                        ).nanosPerSwitch
                }
                progress(round, r)
                runs.append(r)
            }
        }
        return ScaleReport(runs: runs)
    }

    /// A quarter of the window, at least 0.2 s.
    static func warmUpSeconds(_ plan: Plan) -> Double { max(0.2, plan.seconds / 4) }

    static func runOne(_ plan: Plan, workers: Int) throws -> ScaleResult {
        let rssBefore = ProcessMemory.residentBytes()
        var config = EngineConfiguration(
            servers: plan.servers, workers: workers, workload: .pingpong, backend: plan.backend,
            umcgSyscall: plan.umcgSyscall, workerStackBytes: plan.stackBytes)
        config.hub = nil
        config.growFutexHash = plan.growFutexHash
        config.workerStacks = plan.stacks
        config.paintStacks = true
        let engine = try Engine(config)
        let t0 = SystemClock.monotonicNanos()
        try engine.start()
        let started = SystemClock.monotonicNanos()
        defer { engine.stop() }
        // Warm-up: every worker registered (each gets switched in once) before the window opens.
        let warmUp = UInt64(warmUpSeconds(plan) * 1e9)
        let warmDeadline = started &+ warmUp
        let registerDeadline = started &+ 60_000_000_000
        while SystemClock.monotonicNanos() < registerDeadline,
            engine.snapshot().workers.contains(where: { $0.switches == 0 })
        {
            pause(nanos: 10_000_000)
        }
        let now = SystemClock.monotonicNanos()
        if now < warmDeadline { pause(nanos: warmDeadline - now) }
        let rssAfter = ProcessMemory.residentBytes()
        let huge = ProcessMemory.hugePageBytes()
        let first = serverSwitches(engine)
        let windowStart = SystemClock.monotonicNanos()
        pause(nanos: UInt64(plan.seconds * 1e9))
        let last = serverSwitches(engine)
        let windowEnd = SystemClock.monotonicNanos()
        guard engine.stop(timeout: 60) else {
            throw EngineError("the engine with \(workers) workers did not stop within 60 s")
        }
        let rss: Double? =
            if let rssBefore, let rssAfter { Double(rssAfter - rssBefore) / Double(workers) } else { nil }
        var result = ScaleResult(
            workers: workers, servers: plan.servers, seconds: Double(windowEnd - windowStart) / 1e9,
            switches: last &- first, startSeconds: Double(started - t0) / 1e9, memory: engine.memoryPerWorker,
            rssBytesPerWorker: rss, futexHashBuckets: engine.futexHashBuckets ?? (try? FutexHash.buckets()))
        result.stacks = plan.stacks
        result.backend = engine.backend.kind
        result.stackUsage = engine.stackUsage
        result.hugePageBytes = huge
        return result
    }

    /// Total switches of all servers (reads only the server rows: no scan over the workers).
    static func serverSwitches(_ engine: Engine) -> UInt64 {
        engine.serverSwitches
    }

    /// Sleeps for `nanos` (measurement windows only, never to wait for another thread).
    static func pause(nanos: UInt64) {
        let deadline = SystemClock.monotonicNanos() &+ nanos
        while true {
            let now = SystemClock.monotonicNanos()
            if now >= deadline { return }
            SystemClock.sleep(nanos: deadline - now)
        }
    }
}
