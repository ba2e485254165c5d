import UMCGSystem
import UMCGTrace

/// A worker's handle on the engine, passed `inout` to `Workload.run` on the worker's own thread.
///
/// Every call that waits (`yield`, `sleep`, `blocking`, `timedWait`, `handoff`) and `checkpoint`
/// is a scheduling point: the worker's server may run another worker there, and a worker past its
/// time slice is preempted there. Code between two such calls runs without interruption by
/// the engine (not by the kernel). Use it on the worker's thread only (it is not `Sendable`).
public struct WorkerContext {
    let engine: Engine
    /// The worker's dense id: its row in `Engine.snapshot().workers` and the `worker` of its events.
    public let index: Int
    /// The name it was spawned with (trace entities, dashboard, thread name).
    public let name: String
    let backend: any UMCGBackend
    /// A random generator of this worker's own, seeded from `EngineConfiguration.seed` and `index`.
    public var rng: SplitMix64
    var timer: FileDescriptor?
    var sink: UInt64 = 0
    /// Whether servers prefetch this worker's stack (then `markStack` records where it parks).
    let recordsStack: Bool
    /// Set by `endThreadWithoutUnregistering()`.
    var skipsUnregister = false

    init(engine: Engine, index: Int, name: String) {
        self.engine = engine
        self.index = index
        self.name = name
        backend = engine.backend
        rng = SplitMix64(seed: engine.configuration.seed &+ UInt64(index) &* 0x1000_0001)
        recordsStack = engine.prefetchesNextWorkers
    }

    var rows: CounterSlab { engine.workerRows }

    /// Whether the engine is stopping: return from `run` soon.
    public var shouldStop: Bool { engine.isStopping }

    /// Workers spawned so far (ids `0..<workerCount`; targets for `handoff(to:)`).
    public var workerCount: Int { engine.spawnedWorkerCount }

    /// A cooperative preemption point: when this worker is past its time slice, its server runs
    /// others first (PREEMPT). Returns whether it was preempted.
    @discardableResult
    public mutating func checkpoint() throws(Errno) -> Bool {
        guard try backend.checkpoint() else { return false }
        followServerCPU()
        return true
    }

    /// Burns CPU for about `nanos`, with a preemption checkpoint every ~20 µs; ends early on stop.
    public mutating func compute(nanos: UInt64) throws(Errno) {
        var end = SystemClock.monotonicNanos() &+ nanos
        var x = sink | 1
        while true {
            for _ in 0..<200 { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
            let before = SystemClock.monotonicNanos()
            if before >= end || shouldStop { break }
            if try backend.checkpoint() {
                followServerCPU()
                // Time spent preempted does not count as computing.
                end &+= SystemClock.monotonicNanos() &- before
            }
        }
        sink = x
    }

    /// Records where this thread's stack is about to park (read by servers to prefetch it).
    @inline(__always)
    func markStack() {
        if recordsStack { rows.set(index, WorkerField.parkSP, UInt64(CPU.stackAddress())) }
    }

    /// Gives the server back (UMCG_WAIT): other runnable workers run, then this one again.
    public mutating func yield() throws(Errno) {
        markStack()
        try backend.ctl(.wait)
        followServerCPU()
    }

    /// Waits about `nanos` without holding the server (UMCG_WAIT with an absolute deadline): the
    /// server leaves the worker aside until TIMEOUT.
    public mutating func timedWait(nanos: UInt64) throws(Errno) {
        rows.set(index, WorkerField.timedWait, 1)
        markStack()
        do throws(Errno) {
            try backend.ctl(.wait, absTimeout: SystemClock.realtimeNanos() &+ nanos)
        } catch let error where error == .ETIMEDOUT {
        }
        rows.set(index, WorkerField.timedWait, 0)
        followServerCPU()
    }

    /// Hands the server to worker `other`, which runs next on it, without the server's round trip.
    ///
    /// On the emulation this is the engine's direct handoff: `other` must be waiting to run (it
    /// yielded, was preempted, woke from a blocking section, or handed off itself); this worker
    /// then waits as after `yield()`, and its server accounts the switch (a WAIT and a `.handoff`
    /// of this worker, a switch of `other`) when its CTX_SWITCH returns. On the kernel backend it
    /// is the worker-form CTX_SWITCH, whose target must be RUNNABLE.
    /// When `other` is not waiting to run (running, blocked, in a timed WAIT that ended, exited),
    /// is this worker, was not spawned, or the server's handoff log is full (`HandoffLog.capacity`
    /// handoffs in one CTX_SWITCH), it falls back to `yield()`.
    /// Returns whether the server went to `other` (false: the call yielded instead).
    @discardableResult
    public mutating func handoff(to other: Int) throws(Errno) -> Bool {
        guard other >= 0, other < engine.workerCapacity, other != index else { return try yielded() }
        let tid = Int32(truncatingIfNeeded: rows.get(other, WorkerField.tid))
        guard tid != 0 else { return try yielded() }
        let server = Int(truncatingIfNeeded: rows.get(index, WorkerField.server))
        if server >= 0, server < engine.configuration.servers {
            let log = HandoffLog(rows: engine.serverRows, server: server)
            if log.isFull { return try yielded() }
            let (me, workerRows) = (index, rows)
            markStack()
            do throws(Errno) {
                let direct = try backend.directHandoff(to: tid) {
                    log.append(from: me, to: other, at: TraceClock.now())
                    // The target runs on this server from now on (it follows the server's CPU),
                    // and is the server's current worker for the dashboard.
                    workerRows.set(other, WorkerField.server, UInt64(server))
                    log.rows.set(server, ServerField.current, UInt64(other + 1))
                }
                if direct {
                    followServerCPU()
                    return true
                }
            } catch let error where error == .EINVAL || error == .ESRCH {
                return try yielded()
            }
        }
        rows.set(index, WorkerField.handoffTarget, UInt64(other + 1))
        rows.set(index, WorkerField.handoffAt, TraceClock.now())
        markStack()
        do throws(Errno) {
            try backend.ctl(.ctxSwitch, nextTid: tid)
        } catch let error where error == .EINVAL || error == .ESRCH {
            rows.set(index, WorkerField.handoffTarget, 0)
            return try yielded()
        }
        followServerCPU()
        return true
    }

    /// `yield()`, for `handoff(to:)`'s fallback: false.
    private mutating func yielded() throws(Errno) -> Bool {
        try yield()
        return false
    }

    /// Runs `body` as a blocking section: BLOCK on entry (the server runs other workers meanwhile),
    /// WAKE on exit, then waits to be picked again. For code that may block in the kernel (I/O,
    /// locks, sleeps). `reason` is shown on the dashboard and in the trace. The section ends
    /// (WAKE) even when `body` throws, and its error is rethrown.
    @discardableResult
    public mutating func blocking<R>(_ reason: BlockReason = .other, _ body: () throws -> R) throws -> R {
        try beginBlocking(reason)
        let result = Result { try body() }
        try endBlocking()
        return try result.get()
    }

    /// Enters a blocking section, recording when and why for the server's trace.
    mutating func beginBlocking(_ reason: BlockReason) throws(Errno) {
        rows.set(index, WorkerField.blockReason, reason.rawValue)
        rows.set(index, WorkerField.blockedAt, TraceClock.now())
        try backend.enterBlocking()
    }

    /// Leaves a blocking section (WAKE, then wait to be picked).
    mutating func endBlocking() throws(Errno) {
        rows.set(index, WorkerField.wakeAt, TraceClock.now())
        markStack()
        try backend.leaveBlocking()
        // A block the kernel backend reports outside our sections reads "other".
        rows.set(index, WorkerField.blockReason, BlockReason.other.rawValue)
        followServerCPU()
    }

    /// Sleeps `nanos` inside a blocking section (reason "sleep").
    public mutating func sleep(nanos: UInt64) throws(Errno) {
        try beginBlocking(.sleep)
        SystemClock.sleep(nanos: nanos)
        try endBlocking()
    }

    /// A blocking read(2) of a timerfd armed to fire in `nanos`.
    mutating func readTimer(nanos: UInt64) throws(Errno) {
        if timer == nil {
            // Out of file descriptors (thousands of workers, low RLIMIT_NOFILE): block in a sleep instead.
            guard let fd = try? FileDescriptor.timer() else { return try sleep(nanos: nanos) }
            timer = fd
        }
        guard let timer else { return }
        try timer.armTimer(nanos: nanos)
        var expirations: UInt64 = 0
        try beginBlocking(.read)
        let result = withUnsafeMutableBytes(of: &expirations) { raw in
            Result { () throws(Errno) in try timer.read(into: raw) }
        }
        try endBlocking()
        _ = try result.get()
    }

    /// Makes the worker's thread end, once `run` returns, while still RUNNING and without
    /// UNREGISTER, as a thread that dies under a UMCG server does: the backend's thread-exit hook
    /// sends EXIT and the server traces it with reason "thread ended". For tests of that path.
    package mutating func endThreadWithoutUnregistering() { skipsUnregister = true }

    /// Re-pins the thread to the CPU of the server that now runs it (only when that server changed).
    @inline(__always)
    func followServerCPU() {
        guard engine.configuration.pinThreads else { return }
        let server = rows.get(index, WorkerField.server)
        guard server < UInt64(engine.configuration.servers) else { return }
        if rows.get(index, WorkerField.pinnedServer) != server &+ 1 {
            rows.set(index, WorkerField.pinnedServer, server &+ 1)
            let cpu = engine.serverRows.get(Int(server), ServerField.cpu)
            if cpu > 0 { try? CPU.pin(Int(cpu - 1)) }
        }
    }

    /// Releases the timer.
    mutating func close() {
        try? timer?.close()
        timer = nil
    }
}
