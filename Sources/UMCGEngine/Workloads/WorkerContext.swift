import UMCGSystem
import UMCGTrace

/// What a workload running on a worker thread may do. Every call is a preemption point.
struct WorkerContext {
    let engine: Engine
    let index: Int
    let backend: any UMCGBackend
    var rng: SplitMix64
    var timer: FileDescriptor?
    var sink: UInt64 = 0
    /// Whether servers prefetch this worker's stack (then `markStack` records where it parks).
    let recordsStack: Bool

    init(engine: Engine, index: Int) {
        self.engine = engine
        self.index = index
        backend = engine.backend
        rng = SplitMix64(seed: engine.configuration.seed &+ UInt64(index) &* 0x1000_0001)
        recordsStack = engine.prefetchesNextWorkers
    }

    var rows: CounterSlab { engine.workerRows }

    /// Whether the engine is stopping.
    var shouldStop: Bool { engine.isStopping }

    /// Burns CPU for about `nanos`, with a preemption checkpoint every ~20 µs; ends early on stop.
    mutating func compute(nanos: UInt64) throws(Errno) {
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

    /// UMCG_WAIT (yield).
    mutating func yield() throws(Errno) {
        markStack()
        try backend.ctl(.wait)
        followServerCPU()
    }

    /// UMCG_WAIT with an absolute deadline `nanos` from now: the server leaves the worker aside
    /// until TIMEOUT. ETIMEDOUT is the expected outcome.
    mutating func timedWait(nanos: UInt64) throws(Errno) {
        rows.set(index, WorkerField.timedWait, 1)
        markStack()
        do throws(Errno) {
            try backend.ctl(.wait, absTimeout: SystemClock.realtimeNanos() &+ nanos)
        } catch  where error == .ETIMEDOUT {
        }
        rows.set(index, WorkerField.timedWait, 0)
        followServerCPU()
    }

    /// Hands the server to worker `other` (worker-form CTX_SWITCH); falls back to a yield when that
    /// worker is not runnable or waiting.
    mutating func handoff(to other: Int) throws(Errno) {
        let tid = Int32(truncatingIfNeeded: rows.get(other, WorkerField.tid))
        guard tid != 0, other != index else { return try yield() }
        rows.set(index, WorkerField.handoffTarget, UInt64(other + 1))
        rows.set(index, WorkerField.handoffAt, SystemClock.monotonicNanos())
        markStack()
        do throws(Errno) {
            try backend.ctl(.ctxSwitch, nextTid: tid)
        } catch  where error == .EINVAL || error == .ESRCH {
            rows.set(index, WorkerField.handoffTarget, 0)
            return try yield()
        }
        followServerCPU()
    }

    /// Enters a blocking section, recording when and why for the server's trace.
    mutating func beginBlocking(_ reason: BlockReason) throws(Errno) {
        rows.set(index, WorkerField.blockReason, reason.rawValue)
        rows.set(index, WorkerField.blockedAt, SystemClock.monotonicNanos())
        try backend.enterBlocking()
    }

    /// Leaves a blocking section (WAKE, then wait to be picked).
    mutating func endBlocking() throws(Errno) {
        rows.set(index, WorkerField.wakeAt, SystemClock.monotonicNanos())
        markStack()
        try backend.leaveBlocking()
        // A block the kernel backend reports outside our sections reads "other".
        rows.set(index, WorkerField.blockReason, BlockReason.other.rawValue)
        followServerCPU()
    }

    /// Sleeps inside a blocking section.
    mutating func sleep(nanos: UInt64) throws(Errno) {
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
