import Synchronization
import UMCGSystem
import UMCGTrace

/// Points in an engine thread's life that `Engine.start` and `Engine.stop` wait for.
enum ThreadMilestone: Int {
    /// A worker thread ended.
    case workerFinished = 0
    /// A server thread ended.
    case serverFinished = 1
    /// A server or worker thread published its tid in its row (first thing it does).
    case publishedTid = 2
}

/// The UMCG engine: N server threads running a user-space scheduler over M worker threads that run
/// a `Workload`, all through one `UMCGBackend` (the futex emulation or the kernel's umcg_ctl).
///
/// ```swift
/// let engine = try Engine(EngineConfiguration(servers: 2, workers: 0, reservedWorkers: 4))
/// try engine.spawn(name: "fetch-0") { ctx in
///     while !ctx.shouldStop { try ctx.blocking(.read) { fetchSomething() } }
/// }
/// try engine.start()
/// ```
///
/// Threading rule: `start`/`stop` from one controlling thread; `spawn` from any thread;
/// `snapshot`, `entities` and the other readers from any thread (they read atomics). Counters
/// are lossless atomics; trace events go to one ring per server (servers emit every transition,
/// using timestamps workers record in their rows), so 10,000 workers cost no rings.
public final class Engine: @unchecked Sendable {
    // SAFETY: `let` fields are immutable after init; the slabs hold atomics only; the thread list,
    // worker names and workers waiting for `start()` are behind a ThreadLock (pthread,
    // TSan-visible); run queues are lock-free queues in raw memory freed in deinit.

    /// The configuration it runs.
    public let configuration: EngineConfiguration
    /// The backend chosen and why.
    public let selection: BackendSelection
    /// Host facts at creation.
    public let host: HostInfo
    /// The backend all threads call.
    public let backend: any UMCGBackend
    /// CPU ids servers are pinned to (server i on `allowedCPUs[i % count]`), never empty.
    public let allowedCPUs: [Int]
    /// Most workers this engine holds (`configuration.workerCapacity`): `spawn` fails beyond it.
    public let workerCapacity: Int

    let workerRows: CounterSlab
    let serverRows: CounterSlab
    let runQueues: UnsafeMutablePointer<EventQueue>
    let rings: [TraceRing?]
    let phase = Atomic<Int>(0)  // 0 created, 1 started, 2 stopped
    let stopping = Atomic<Bool>(false)
    let serversStop = Atomic<Bool>(false)
    let exitedWorkers = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    /// Private futex hash buckets after `start()` grew it (-1: not known: not started, kernel
    /// backend, growth off, or no private hash in this kernel).
    let futexBuckets = Atomic<Int>(-1)
    let threads = ThreadLock(EngineThreads())
    /// Workers spawned so far (their rows and names are set before it counts them).
    let spawned = Atomic<Int>(0)
    /// Futex words counting threads that reached each `ThreadMilestone` (indexed by its raw value).
    let finished: UnsafeMutablePointer<Atomic<UInt32>>
    /// Whether servers prefetch the next workers before each switch (`ServerScheduler.prefetchNext`)
    /// and workers record where they park for it: only with enough workers per server to leave
    /// the caches.
    let prefetchesNextWorkers: Bool
    /// The worker stacks with `WorkerStacks.pooled` (unmapped in deinit once every worker was joined).
    let stackPool: StackPool?
    /// Set by `stop` once the workers were joined (pooled stacks only).
    let stackUsageAfterStop = ThreadLock<StackUsage?>(nil)
    /// The region the engine publishes in (nil: not published).
    let publishedRegion: PublishedRegion?
    /// The publisher thread while the engine runs, and why publishing failed.
    let publishing: ThreadLock<EnginePublishing>

    /// Most servers the engine runs (the emulation's idle mask is 64 bits).
    public static let maxServers = 64
    /// Most workers.
    public static let maxWorkers = 100_000

    /// Validates the configuration and selects the backend. Throws `EngineError` with one line.
    public init(_ configuration: EngineConfiguration) throws {
        guard configuration.servers >= 1 else {
            throw EngineError("servers must be at least 1 (got \(configuration.servers))")
        }
        guard configuration.servers <= Self.maxServers else {
            throw EngineError("servers must be at most \(Self.maxServers) (got \(configuration.servers))")
        }
        guard configuration.workers >= 0, configuration.reservedWorkers >= 0 else {
            throw EngineError("workers and reserved workers must not be negative")
        }
        let capacity = configuration.workerCapacity
        guard capacity >= 1 else {
            throw EngineError("workers must be at least 1 (got \(configuration.workers)), or reserve some to spawn")
        }
        guard capacity <= Self.maxWorkers else {
            throw EngineError("workers must be at most \(Self.maxWorkers) (got \(capacity))")
        }
        guard configuration.sliceNanos >= 1_000 else { throw EngineError("slice must be at least 1 µs") }
        workerCapacity = capacity
        allowedCPUs = CPU.allowed()
        host = configuration.selector?.host ?? HostInfo.current()
        let selector = configuration.selector ?? BackendSelector(host: host)
        do {
            selection = try selector.select(configuration.backend, explicitSyscall: configuration.umcgSyscall)
        } catch {
            throw EngineError(error.description)
        }
        let options = EmulatedBackend.Options(
            handoff: configuration.handoff, sliceNanos: configuration.sliceNanos,
            maxWorkers: capacity + 8, maxServers: configuration.servers)
        do {
            if let make = configuration.makeBackend {
                backend = try make(selection, options)
            } else {
                backend = try selector.makeBackend(for: selection, options: options)
            }
        } catch {
            throw EngineError("cannot create the \(selection.kind) backend: \(error)")
        }
        // Published: the hub becomes one whose rings live in the region (a failure leaves it as it was).
        var configuration = configuration
        let (region, publishingError) = Self.makeRegion(&configuration, backend: selection.kind.rawValue)
        publishedRegion = region
        publishing = ThreadLock(EnginePublishing(publisher: nil, error: publishingError))
        self.configuration = configuration
        workerRows = CounterSlab.allocate(rows: capacity, fieldsPerRow: WorkerField.count)
        serverRows = CounterSlab.allocate(rows: configuration.servers, fieldsPerRow: ServerField.count)
        runQueues = UnsafeMutablePointer<EventQueue>.allocate(capacity: configuration.servers)
        for i in 0..<configuration.servers {
            (runQueues + i).initialize(to: EventQueue.allocate(minimumCapacity: capacity + 16))
        }
        finished = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 3)
        for i in 0..<3 { (finished + i).initialize(to: Atomic(0)) }
        prefetchesNextWorkers =
            capacity >= ServerScheduler.prefetchFromWorkersPerServer * configuration.servers
        if configuration.workerStacks == .pooled {
            do {
                stackPool = try StackPool(
                    count: capacity, stackBytes: Self.poolStackBytes(configuration.workerStackBytes),
                    paint: configuration.paintStacks)
            } catch {
                throw EngineError("cannot map \(capacity) worker stacks: \(error)")
            }
        } else {
            stackPool = nil
        }
        rings = (0..<configuration.servers).map { configuration.hub?.makeRing(label: "srv\($0)") }
        for w in 0..<capacity {
            workerRows.set(w, WorkerField.state, UInt64(WorkerState.unregistered.rawValue))
            workerRows.set(w, WorkerField.server, UInt64(TraceEvent.noServer))
        }
        let (count, workload) = (configuration.workers, configuration.workload)
        threads.withLock { t in
            for w in 0..<count { t.claim(name: "\(workload.rawValue)-\(w)", workload: workload) }
        }
        // Relaxed: nothing else runs yet.
        spawned.store(configuration.workers, ordering: .relaxed)
    }

    /// A pooled stack: the configured size rounded up to whole 4 KiB pages, at least
    /// `WorkerStacks.minimumPooledBytes` (a pool has no guard pages to stop an overflow).
    package static func poolStackBytes(_ requested: Int) -> Int {
        (max(requested, WorkerStacks.minimumPooledBytes) + 4095) & ~4095
    }

    deinit {
        publishing.withLock { $0.publisher }?.stop()
        publishedRegion?.close(exitStatus: nil)
        // A worker never joined (stop timed out) may still be on its pooled stack: leak the pool then.
        if let stackPool, threads.withLock({ $0.workers.allSatisfy(\.isJoined) }) { stackPool.unmap() }
        for i in 0..<configuration.servers { runQueues[i].deallocate() }
        runQueues.deinitialize(count: configuration.servers)
        runQueues.deallocate()
        workerRows.deallocate()
        serverRows.deallocate()
        finished.deinitialize(count: 3)
        finished.deallocate()
    }

    /// Starts the server threads, the workers of the configuration and those spawned so far, and
    /// returns once each published its tid (so call `runInfo()` after `start()` for a trace
    /// header with tids). Throws `EngineError` when started twice or a thread cannot be created
    /// (the threads already started are stopped first).
    public func start() throws {
        // AcquiringAndReleasing: one caller moves 0 → 1.
        guard phase.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            throw EngineError("the engine was already started")
        }
        if configuration.growFutexHash, backend is EmulatedBackend {
            // Best effort: without it (older kernels) switches still work, only slower with many workers.
            if let n = try? FutexHash.reserve(threads: configuration.servers + workerCapacity + 8) {
                // Relaxed: a fact for reports, read after start() returned.
                futexBuckets.store(n, ordering: .relaxed)
            }
        }
        do {
            // Engine threads block asynchronous signals (see SignalMask).
            try SignalMask.withAsyncSignalsBlocked { () throws(Errno) in try startThreads() }
        } catch {
            stopThreads(timeout: 30)
            throw EngineError("cannot start threads: \(error)")
        }
        // Every thread publishes its tid first thing: once they all did, `entities` and `runInfo()`
        // carry real tids (bounded wait; a slow start only leaves some tids 0).
        let total = configuration.servers + threads.withLock { $0.workers.count }
        _ = waitFor(.publishedTid, count: total, deadline: SystemClock.monotonicNanos() &+ 5_000_000_000) {}
        startPublisher()
    }

    /// Creates the server and worker threads (they record themselves in `threads`).
    private func startThreads() throws(Errno) {
        for s in 0..<configuration.servers {
            let t = try OSThread(name: "umcg-srv\(s)", stackSize: 512 << 10) { [self] in
                var scheduler = ServerScheduler(engine: self, index: s)
                scheduler.run()
                reached(.serverFinished)
            }
            threads.withLock { $0.servers.append(t) }
        }
        // Workers spawned from now on start at once (see `spawn`).
        let pending = threads.withLock { t in
            t.started = true
            return t.takePending()
        }
        for p in pending { try startWorker(p) }
    }

    /// Stops the engine: every worker finishes at its next checkpoint or yield and unregisters,
    /// then the servers drain and end; all threads are joined. Idempotent. Returns false when some
    /// thread did not finish within `timeout` seconds (it is then left running, not joined, so the
    /// caller can still exit).
    @discardableResult
    public func stop(timeout: Double = 30) -> Bool {
        // AcquiringAndReleasing: one caller moves 1 → 2; a never-started engine just becomes stopped.
        let (done, old) = phase.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing)
        if !done {
            if old == 0 { _ = phase.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing) }
            stopPublisher()
            return true
        }
        let stopped = stopThreads(timeout: timeout)
        stopPublisher()
        return stopped
    }

    @discardableResult
    func stopThreads(timeout: Double = 30) -> Bool {
        let deadline = SystemClock.monotonicNanos() &+ UInt64(max(0, min(timeout, 3600)) * 1e9)
        // Relaxed: workers poll it; their exit is ordered by the joins below.
        stopping.store(true, ordering: .relaxed)
        let workers = threads.withLock { $0.workers }
        let workersDone = waitFor(.workerFinished, count: workers.count, deadline: deadline) {}
        if workersDone {
            for t in workers { t.join() }
            if let pool = stackPool, pool.count == workers.count {
                stackUsageAfterStop.withLock { $0 = StackUsage(pool) }
            }
        }
        // Relaxed: servers poll it between switches and wake up from idle WAITs (pokes or deadline).
        serversStop.store(true, ordering: .relaxed)
        let servers = threads.withLock { $0.servers }
        let serversDone = waitFor(.serverFinished, count: servers.count, deadline: deadline) { [backend] in
            for _ in 0..<servers.count {
                do throws(Errno) { try backend.ctl(.wake) } catch { break }
            }
        }
        if serversDone { for t in servers { t.join() } }
        return workersDone && serversDone
    }

    /// Counts a thread that reached `milestone` and wakes the waiter.
    func reached(_ milestone: ThreadMilestone) {
        let kind = milestone.rawValue
        // Releasing: pairs with waitFor's acquiring load; the thread's last writes are visible.
        (finished + kind).pointee.add(1, ordering: .releasing)
        _ = try? Futex.wake(Futex.address(of: finished + kind), count: Int32.max)
    }

    /// Waits until `count` threads reached `milestone` or the deadline passes, calling `nudge` every
    /// few milliseconds meanwhile.
    func waitFor(_ milestone: ThreadMilestone, count: Int, deadline: UInt64, nudge: () -> Void) -> Bool {
        let word = finished + milestone.rawValue
        while true {
            // Acquiring: pairs with reached's releasing add.
            let n = word.pointee.load(ordering: .acquiring)
            if n >= UInt32(count) { return true }
            let now = SystemClock.monotonicNanos()
            if now >= deadline { return false }
            nudge()
            _ = try? Futex.wait(Futex.address(of: word), expected: n, timeout: min(deadline - now, 5_000_000))
        }
    }

    /// Whether `stop()` was called.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Threads that failed: a worker whose workload threw or that could not register, or a server
    /// that could not register (0 in a healthy run).
    public var failedWorkers: Int { failures.load(ordering: .relaxed) }

    /// Buckets of the process's private futex hash after `start()` (nil when unknown or unsupported).
    public var futexHashBuckets: Int? {
        // Relaxed: written once in start().
        let n = futexBuckets.load(ordering: .relaxed)
        return n < 0 ? nil : n
    }

    /// How deep the workers' pooled stacks were used and whether any overflowed into its canary;
    /// nil unless `workerStacks` is `.pooled` and `stop()` joined every worker.
    public var stackUsage: StackUsage? { stackUsageAfterStop.withLock { $0 } }

    /// Switches (CTX_SWITCHes) of all servers so far; reads only the server rows, never the
    /// workers', so a benchmark can read it at the edges of a window with 10,000 workers.
    package var serverSwitches: UInt64 {
        (0..<configuration.servers).reduce(0) { $0 &+ serverRows.get($1, ServerField.switches) }
    }

    /// Runnable workers the servers moved to a shorter run queue of another server so far.
    public var migrations: UInt64 {
        (0..<configuration.servers).reduce(0) { $0 &+ serverRows.get($1, ServerField.migrations) }
    }

    /// Workers that sent EXIT so far.
    public var exitedWorkerCount: Int { exitedWorkers.load(ordering: .relaxed) }
}
