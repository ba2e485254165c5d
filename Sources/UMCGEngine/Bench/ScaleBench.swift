import CUMCGShims

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

    /// Creates a result.
    public init(
        workers: Int, servers: Int, seconds: Double, switches: UInt64, startSeconds: Double,
        memory: EngineMemoryReport, rssBytesPerWorker: Double?, futexHashBuckets: Int? = nil
    ) {
        self.futexHashBuckets = futexHashBuckets
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
}

/// The results of every worker count, in the order run.
public struct ScaleReport: Sendable, Equatable {
    /// One result per worker count.
    public var results: [ScaleResult]

    /// Creates a report.
    public init(results: [ScaleResult]) { self.results = results }

    /// Per-switch cost at the largest worker count divided by the cost at the smallest (the goal
    /// is at most 1.5: no scan over all workers on the switch path); nil with fewer than two results.
    public var costRatio: Double? {
        guard let small = results.min(by: { $0.workers < $1.workers }),
            let large = results.max(by: { $0.workers < $1.workers }),
            large.workers != small.workers, small.nanosPerSwitch > 0
        else { return nil }
        return large.nanosPerSwitch / small.nanosPerSwitch
    }
}

/// Scale benchmark: the `pingpong` workload (every worker yields in a loop) on the default servers
/// for several worker counts; measures switches per second per server, the cost of one switch and
/// the memory per worker. Run it on an otherwise idle machine; it prints, never asserts, timings.
public enum ScaleBench {
    /// The default worker counts: the dashboard's 8, then 1,000 and 10,000.
    public static let defaultWorkerCounts = [8, 1_000, 10_000]
    /// The default worker stack for scale runs (a yield loop needs little; 256 KiB is the engine default).
    public static let defaultStackBytes = 64 << 10

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

        /// Creates a plan.
        public init(
            workerCounts: [Int] = ScaleBench.defaultWorkerCounts, seconds: Double = 3, servers: Int = CPU.count,
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

    /// Runs every worker count of `plan` in turn; `progress` is called after each. Throws
    /// `EngineError` when an engine cannot be created or started, or does not stop in time.
    public static func run(_ plan: Plan, progress: (ScaleResult) -> Void = { _ in }) throws -> ScaleReport {
        guard plan.seconds.isFinite, plan.seconds > 0, plan.seconds <= 600 else {
            throw EngineError("seconds must be > 0 and at most 600 (got \(plan.seconds))")
        }
        var results: [ScaleResult] = []
        for n in plan.workerCounts {
            let r = try runOne(plan, workers: n)
            progress(r)
            results.append(r)
        }
        return ScaleReport(results: results)
    }

    static func runOne(_ plan: Plan, workers: Int) throws -> ScaleResult {
        let rssBefore = ProcessMemory.residentBytes()
        var config = EngineConfiguration(
            servers: plan.servers, workers: workers, workload: .pingpong, backend: plan.backend,
            umcgSyscall: plan.umcgSyscall, workerStackBytes: plan.stackBytes)
        config.hub = nil
        config.growFutexHash = plan.growFutexHash
        let engine = try Engine(config)
        let t0 = Clock.monotonicNanos()
        try engine.start()
        let started = Clock.monotonicNanos()
        defer { engine.stop() }
        // Warm-up: every worker registered (each gets switched in once) before the window opens.
        let warmUp = UInt64(max(0.2, plan.seconds / 4) * 1e9)
        let warmDeadline = started &+ warmUp
        let registerDeadline = started &+ 60_000_000_000
        while Clock.monotonicNanos() < registerDeadline, engine.snapshot().workers.contains(where: { $0.switches == 0 })
        {
            pause(nanos: 10_000_000)
        }
        let now = Clock.monotonicNanos()
        if now < warmDeadline { pause(nanos: warmDeadline - now) }
        let rssAfter = ProcessMemory.residentBytes()
        let first = serverSwitches(engine)
        let windowStart = Clock.monotonicNanos()
        pause(nanos: UInt64(plan.seconds * 1e9))
        let last = serverSwitches(engine)
        let windowEnd = Clock.monotonicNanos()
        guard engine.stop(timeout: 60) else {
            throw EngineError("the engine with \(workers) workers did not stop within 60 s")
        }
        let rss: Double? =
            if let rssBefore, let rssAfter { Double(rssAfter - rssBefore) / Double(workers) } else { nil }
        return ScaleResult(
            workers: workers, servers: plan.servers, seconds: Double(windowEnd - windowStart) / 1e9,
            switches: last &- first, startSeconds: Double(started - t0) / 1e9, memory: engine.memoryPerWorker,
            rssBytesPerWorker: rss, futexHashBuckets: engine.futexHashBuckets ?? (try? FutexHash.buckets()))
    }

    /// Total switches of all servers (reads only the server rows: no scan over the workers).
    static func serverSwitches(_ engine: Engine) -> UInt64 {
        (0..<engine.configuration.servers).reduce(0) { $0 &+ engine.serverRows.get($1, SF.switches) }
    }

    /// Sleeps for `nanos` (measurement windows only, never to wait for another thread).
    static func pause(nanos: UInt64) {
        let deadline = Clock.monotonicNanos() &+ nanos
        while true {
            let now = Clock.monotonicNanos()
            if now >= deadline { return }
            _ = umcg_shim_nanosleep(deadline - now)
        }
    }
}
