import Synchronization
import UMCGSystem

/// A worker spawned before `start()`, waiting for it.
struct PendingWorker {
    let index: Int
    let name: String
    let workload: any Workload
}

/// The engine's threads and worker names, behind `Engine.threads` (a cold-path lock).
struct EngineThreads {
    var servers: [OSThread] = []
    /// Worker threads started, in the order they were created.
    var workers: [OSThread] = []
    /// Every spawned worker's name, indexed by worker id.
    var names: [String] = []
    /// Workers spawned before `start()`.
    var pending: [PendingWorker] = []
    /// Set by `start()`: from then on `spawn` starts threads at once.
    var started = false

    /// Gives the next worker id to `name` and queues it for `start()`.
    mutating func claim(name: String, workload: any Workload) {
        pending.append(PendingWorker(index: names.count, name: name, workload: workload))
        names.append(name)
    }

    /// Empties the queue of workers waiting for `start()`.
    mutating func takePending() -> [PendingWorker] {
        defer { pending = [] }
        return pending
    }
}

extension Engine {
    /// Adds a worker named `name` running `workload` and returns its id (its row in `snapshot()`).
    ///
    /// Before `start()` the worker starts with the others; after it, at once (this call returns
    /// once the thread published its tid, so `entities` names it). The name is the worker's in
    /// `entities`, the trace and the dashboard, and its thread's (the kernel keeps 15 bytes).
    /// Throws `EngineError` when the engine holds `workerCapacity` workers already (reserve room
    /// with `EngineConfiguration.reservedWorkers`), is stopping, or cannot create the thread.
    @discardableResult
    public func spawn(name: String, _ workload: some Workload) throws(EngineError) -> Int {
        guard !name.isEmpty, name.utf8.count <= Self.maxWorkerNameBytes else {
            throw EngineError("a worker name must have 1 to \(Self.maxWorkerNameBytes) bytes (got \(name.utf8.count))")
        }
        // (id, worker threads created so far when this one started at once).
        let created: Result<(Int, Int?), EngineError> = threads.withLock { t in
            // Read under the lock: `stopThreads` sets it before it takes the lock to list the workers.
            if isStopping || phase.load(ordering: .acquiring) == 2 {
                return .failure(EngineError("cannot spawn \(name): the engine is stopping"))
            }
            let index = t.names.count
            guard index < workerCapacity else {
                return .failure(
                    EngineError(
                        "cannot spawn \(name): the engine holds \(workerCapacity) workers"
                            + " (reserve room with reservedWorkers)"
                    ))
            }
            t.claim(name: name, workload: workload)
            // Counted before its thread starts, so a reader that sees one of its events knows it.
            // Releasing: pairs with `spawnedWorkerCount`'s acquiring load (its row was set up in init).
            spawned.store(t.names.count, ordering: .releasing)
            guard t.started else { return .success((index, nil)) }
            let worker = t.takePending()[0]
            do {
                let thread = try SignalMask.withAsyncSignalsBlocked { () throws(Errno) in try makeThread(worker) }
                t.workers.append(thread)
            } catch {
                // Never ran: its id goes to the next spawn (its row is untouched).
                t.names.removeLast()
                // Releasing: as above.
                spawned.store(t.names.count, ordering: .releasing)
                return .failure(EngineError("cannot start a thread for \(name): \(error)"))
            }
            return .success((index, t.workers.count))
        }
        let (index, startedCount) = try created.get()
        if let startedCount {
            // Every worker thread created so far published its tid, this one among them.
            _ = waitFor(
                .publishedTid, count: configuration.servers + startedCount,
                deadline: SystemClock.monotonicNanos() &+ 5_000_000_000
            ) {}
        }
        return index
    }

    /// Adds a worker named `name` running `body` (see `spawn(name:_:)` with a `Workload`).
    ///
    /// ```swift
    /// try engine.spawn(name: "ticker") { ctx in
    ///     while !ctx.shouldStop { try ctx.sleep(nanos: 1_000_000) }
    /// }
    /// ```
    @discardableResult
    public func spawn(
        name: String, _ body: @escaping @Sendable (inout WorkerContext) throws -> Void
    ) throws(EngineError) -> Int {
        try spawn(name: name, ClosureWorkload(body: body))
    }

    /// Whether `start()` or `stop()` was called (it may have stopped since; a stopped engine never starts).
    public var hasStarted: Bool {
        // Acquiring: pairs with start's and stop's compare-exchange.
        phase.load(ordering: .acquiring) != 0
    }

    /// Longest worker name, in UTF-8 bytes.
    public static let maxWorkerNameBytes = 256

    /// Workers spawned so far, including those waiting for `start()` (ids `0..<spawnedWorkerCount`).
    public var spawnedWorkerCount: Int {
        // Acquiring: pairs with spawn's releasing store; rows and names below it are set.
        spawned.load(ordering: .acquiring)
    }

    /// Worker `w`'s name ("mixed-3", or the name it was spawned with); nil when no such worker.
    public func workerName(_ w: Int) -> String? {
        threads.withLock { w >= 0 && w < $0.names.count ? $0.names[w] : nil }
    }

    /// The id of the first worker named `name`, if any.
    public func workerIndex(named name: String) -> Int? {
        threads.withLock { $0.names.firstIndex(of: name) }
    }

    /// Creates and records a thread for each worker waiting for `start()`.
    func startWorker(_ worker: PendingWorker) throws(Errno) {
        let thread = try makeThread(worker)
        threads.withLock { $0.workers.append(thread) }
    }

    /// A worker's thread, named after it, on its pooled stack if any.
    func makeThread(_ worker: PendingWorker) throws(Errno) -> OSThread {
        let (index, name, workload) = (worker.index, worker.name, worker.workload)
        return try OSThread(name: name, stackSize: configuration.workerStackBytes, stack: stackPool?.stack(index)) {
            [self] in
            runWorker(index, name: name, workload: workload)
            reached(.workerFinished)
        }
    }
}
