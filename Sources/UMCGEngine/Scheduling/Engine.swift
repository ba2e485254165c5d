import CUMCGShims
import Synchronization
import UMCGTrace

/// The UMCG engine: N server threads running a user-space scheduler over M worker threads that run
/// a `Workload`, all through one `UMCGBackend` (the futex emulation or the kernel's umcg_ctl).
///
/// Threading rule: `start`/`stop` from one controlling thread; `snapshot`, `entities` and the
/// other readers from any thread (they read atomics). Counters are lossless atomics; trace events
/// go to one ring per server (servers emit every transition, using timestamps workers record in
/// their rows), so 10,000 workers cost no rings.
public final class Engine: @unchecked Sendable {
    // SAFETY: `let` fields are immutable after init; the slabs hold atomics only; the thread list
    // is behind a Mutex; run queues are lock-free queues in raw memory freed in deinit.

    /// The configuration it runs.
    public let configuration: EngineConfiguration
    /// The backend chosen and why.
    public let selection: BackendSelection
    /// Host facts at creation.
    public let host: HostInfo
    /// The backend all threads call.
    public let backend: any UMCGBackend

    let workerRows: CounterSlab
    let serverRows: CounterSlab
    let runQueues: UnsafeMutablePointer<EventQueue>
    let rings: [TraceRing?]
    let phase = Atomic<Int>(0)  // 0 created, 1 started, 2 stopped
    let stopping = Atomic<Bool>(false)
    let serversStop = Atomic<Bool>(false)
    let exitedWorkers = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let threads = Mutex<(servers: [OSThread], workers: [OSThread])>(([], []))

    /// Most servers the engine runs (the emulation's idle mask is 64 bits).
    public static let maxServers = 64
    /// Most workers.
    public static let maxWorkers = 100_000

    /// Validates the configuration and selects the backend. Throws `EngineError` with one line.
    public init(_ configuration: EngineConfiguration) throws {
        guard configuration.servers >= 1 else { throw EngineError("servers must be at least 1 (got \(configuration.servers))") }
        guard configuration.servers <= Self.maxServers else {
            throw EngineError("servers must be at most \(Self.maxServers) (got \(configuration.servers))")
        }
        guard configuration.workers >= 1 else { throw EngineError("workers must be at least 1 (got \(configuration.workers))") }
        guard configuration.workers <= Self.maxWorkers else {
            throw EngineError("workers must be at most \(Self.maxWorkers) (got \(configuration.workers))")
        }
        guard configuration.sliceNanos >= 1_000 else { throw EngineError("slice must be at least 1 µs") }
        self.configuration = configuration
        host = configuration.selector?.host ?? HostInfo.current()
        let selector = configuration.selector ?? BackendSelector(host: host)
        do {
            selection = try selector.select(configuration.backend, explicitSyscall: configuration.umcgSyscall)
        } catch {
            throw EngineError(error.description)
        }
        let options = EmulatedBackend.Options(
            handoff: configuration.handoff, sliceNanos: configuration.sliceNanos,
            maxWorkers: configuration.workers + 8, maxServers: configuration.servers)
        do {
            backend = try selector.makeBackend(for: selection, options: options)
        } catch {
            throw EngineError("cannot create the \(selection.kind) backend: \(error)")
        }
        workerRows = CounterSlab.allocate(rows: configuration.workers, fieldsPerRow: WF.count)
        serverRows = CounterSlab.allocate(rows: configuration.servers, fieldsPerRow: SF.count)
        runQueues = UnsafeMutablePointer<EventQueue>.allocate(capacity: configuration.servers)
        for i in 0..<configuration.servers {
            (runQueues + i).initialize(to: EventQueue.allocate(minimumCapacity: configuration.workers + 16))
        }
        rings = (0..<configuration.servers).map { configuration.hub?.makeRing(label: "srv\($0)") }
        for w in 0..<configuration.workers {
            workerRows.set(w, WF.state, UInt64(WorkerState.unregistered.rawValue))
            workerRows.set(w, WF.server, UInt64(TraceEvent.noServer))
        }
    }

    deinit {
        for i in 0..<configuration.servers { runQueues[i].deallocate() }
        runQueues.deinitialize(count: configuration.servers)
        runQueues.deallocate()
        workerRows.deallocate()
        serverRows.deallocate()
    }

    /// Starts the server and worker threads. Throws `EngineError` when started twice or a thread
    /// cannot be created (the threads already started are stopped first).
    public func start() throws {
        // AcquiringAndReleasing: one caller moves 0 → 1.
        guard phase.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            throw EngineError("the engine was already started")
        }
        do {
            for s in 0..<configuration.servers {
                let t = try OSThread(stackSize: 512 << 10) { [self] in
                    var scheduler = ServerScheduler(engine: self, index: s)
                    scheduler.run()
                }
                threads.withLock { $0.servers.append(t) }
            }
            for w in 0..<configuration.workers {
                let t = try OSThread(stackSize: configuration.workerStackBytes) { [self] in
                    runWorker(w)
                }
                threads.withLock { $0.workers.append(t) }
            }
        } catch {
            stopThreads()
            throw EngineError("cannot start threads: \(error)")
        }
    }

    /// Stops the engine: every worker finishes at its next checkpoint or yield and unregisters,
    /// then the servers drain and end; all threads are joined. Idempotent.
    public func stop() {
        // AcquiringAndReleasing: one caller moves 1 → 2; a never-started engine just becomes stopped.
        let (done, old) = phase.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing)
        if !done {
            if old == 0 { _ = phase.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing) }
            return
        }
        stopThreads()
    }

    func stopThreads() {
        // Relaxed: workers poll it; their exit is ordered by the joins below.
        stopping.store(true, ordering: .relaxed)
        let workers = threads.withLock { $0.workers }
        for t in workers { t.join() }
        // Relaxed: servers poll it between switches and wake up from idle WAITs below or by deadline.
        serversStop.store(true, ordering: .relaxed)
        let servers = threads.withLock { $0.servers }
        for _ in 0..<(2 * configuration.servers) {
            do throws(Errno) { try backend.ctl(.wake) } catch { break }
        }
        for t in servers { t.join() }
    }

    /// Whether `stop()` was called.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Worker threads whose workload failed or could not register (0 in a healthy run).
    public var failedWorkers: Int { failures.load(ordering: .relaxed) }

    /// Workers that sent EXIT so far.
    public var exitedWorkerCount: Int { exitedWorkers.load(ordering: .relaxed) }
}
