import Synchronization
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// libumcg.so's publishing side of the emulation (issue #12): turns every transition the
/// `EmulatedBackend` performs for the program into a `TraceEvent` in a ring of the thread doing it,
/// and keeps lossless counters per worker and per server that the publisher thread folds into a
/// `Snapshot` (`PreloadTracer+Snapshot.swift`).
///
/// Where things live: one counter row per worker control block and per server control block
/// (`PreloadRows`), written only by that worker's or server's own thread (so a handoff writes no
/// line another CPU holds: a single writer needs no atomic read-modify-write, only relaxed loads and
/// stores the publisher thread may read at any time); one ring per worker slot and per server slot,
/// made in the region at the slot's first registration and kept for the threads that reuse the
/// slot (dense ids are the backend's control-block indices). A slot without a ring (the region's
/// directory was full, or the region was not there yet) counts its events in `unpublished`.
///
/// Threading rule: the `EmulationObserver` calls run on the thread named there; `attach`, `forgetParentAfterFork`
/// and the snapshot side run on other threads and only touch the ring table atomically.
/// `workerStopping(_:server:as:next:)` may run in the preemption signal handler: the hot path
/// allocates nothing and takes no lock (ring creation, which does, runs at registration only).
final class PreloadTracer: EmulationObserver, @unchecked Sendable {
    // SAFETY: rows and the ring table are raw memory allocated in init and never freed (the tracer
    // lives as long as the process's backend); each row has one writer (see above); the ring table
    // holds unretained `TraceRing` pointers whose strong references live in `state` until the process
    // ends (a forked child leaks its parent's, see `forgetParentAfterFork`).

    /// Worker slots (the backend's `maxWorkers`).
    let workerCapacity: Int
    /// Server slots (the backend's `maxServers`).
    let serverCapacity: Int
    let workers: PreloadRows
    let servers: PreloadRows
    /// `workerCapacity + serverCapacity` words: an unretained `TraceRing` pointer per slot, 0 none.
    let ringTable: UnsafeMutablePointer<Atomic<UInt>>

    /// What ring creation needs: the region and the rings made in it (their strong references).
    struct State {
        var region: PublishedRegion?
        var rings: [TraceRing] = []
    }
    let state = PreloadLock(State())

    /// The trace clock without reference counting (it lives as long as the process): retaining the
    /// one shared instance per event would bounce its reference count between the CPUs.
    let clock = Unmanaged.passUnretained(TraceClock.shared)

    /// The trace clock's time now.
    @inline(__always)
    func clockNow() -> UInt64 { clock._withUnsafeGuaranteedRef { $0.nanos() } }

    /// Creates a tracer for a backend with these limits; no region yet (`attach`).
    init(workerCapacity: Int, serverCapacity: Int) {
        self.workerCapacity = workerCapacity
        self.serverCapacity = serverCapacity
        workers = PreloadRows(rows: workerCapacity, fields: WorkerRow.count)
        servers = PreloadRows(rows: serverCapacity, fields: ServerRow.count)
        let n = workerCapacity + serverCapacity
        ringTable = UnsafeMutablePointer<Atomic<UInt>>.allocate(capacity: n)
        for i in 0..<n { (ringTable + i).initialize(to: Atomic(0)) }
        super.init()
    }

    // MARK: rings

    /// Starts publishing into `region`: slots registered from now on get rings in it.
    func attach(_ region: PublishedRegion) {
        state.withLock { $0.region = region }
    }

    /// In a fork child (one thread; a pthread_atfork child handler): stops pushing into the parent's
    /// region without releasing anything, since releasing its rings would let the region's deinit
    /// close and unlink the parent's file (the parent's references are leaked on purpose), and
    /// forgets the parent's counters and entities (the child's region shows the child's own).
    func forgetParentAfterFork() {
        for i in 0..<(workerCapacity + serverCapacity) {
            // Relaxed: the child has one thread now.
            ringTable[i].store(0, ordering: .relaxed)
        }
        workers.zero()
        servers.zero()
        state.resetInChild { s in
            _ = Unmanaged.passRetained(PreloadAbandoned(s))
            s = State()
        }
    }

    /// Makes slot `slot`'s ring if it has none and a region is attached (the registering thread).
    @inline(never)
    func ensureRing(_ slot: Int, label: String, tid: Int32) {
        // Relaxed: only this slot's registering thread stores it (after fork: the child's one thread).
        guard ringTable[slot].load(ordering: .relaxed) == 0 else { return }
        let ring: TraceRing? = state.withLock { s in
            guard let region = s.region, let ring = region.makeRing(label: label, tid: tid) else { return nil }
            s.rings.append(ring)
            return ring
        }
        guard let ring else { return }
        // Relaxed: read by this slot's own threads, which registered after this store (registry lock).
        ringTable[slot].store(UInt(bitPattern: Unmanaged.passUnretained(ring).toOpaque()), ordering: .relaxed)
    }

    /// Pushes the event made of these fields into slot `slot`'s ring, or counts it in `row`'s
    /// unpublished field. Into a full ring with drops pending (no viewer) the event is not built:
    /// `TraceRing.dropIfFull` counts it as `push` would.
    @inline(__always)
    func push(
        slot: Int, row: PreloadRows.Row, unpublishedField: Int, timestamp: UInt64, kind: TraceEventKind,
        server: UInt16, worker: UInt32, cpu: UInt16, arg: UInt64
    ) {
        // Relaxed: see `ensureRing`.
        let bits = ringTable[slot].load(ordering: .relaxed)
        guard let p = UnsafeMutableRawPointer(bitPattern: bits) else {
            row.bump(unpublishedField)
            return
        }
        // No retain: the ring is kept alive by `state.rings` (or leaked after fork).
        Unmanaged<TraceRing>.fromOpaque(p)._withUnsafeGuaranteedRef { ring in
            if ring.dropIfFull(server: server, worker: worker, cpu: cpu) { return }
            _ = ring.push(
                TraceEvent(timestamp: timestamp, kind: kind, server: server, worker: worker, cpu: cpu, arg: arg))
        }
    }

    @inline(__always)
    static var cpu: UInt16 {
        let c = CPU.current()
        return c < 0 ? TraceEvent.noCPU : UInt16(truncatingIfNeeded: c)
    }

    @inline(__always)
    func serverID(_ server: Int) -> UInt16 {
        server >= 0 && server < serverCapacity ? UInt16(truncatingIfNeeded: server) : TraceEvent.noServer
    }

    /// A worker event: timestamps kept non-decreasing in the worker's ring; the CPU is the one it
    /// was on when it last resumed (read once per switch: a running worker rarely moves), `cpu` when
    /// the caller has it (the row's field is not read back).
    @inline(__always)
    func workerEvent(
        _ kind: TraceEventKind, worker: Int, row: PreloadRows.Row, at t: UInt64, server: UInt16, arg: UInt64,
        cpu: UInt16? = nil
    ) {
        let ts = max(t, row.get(WorkerRow.lastTimestamp))
        row.set(WorkerRow.lastTimestamp, ts)
        push(
            slot: worker, row: row, unpublishedField: WorkerRow.unpublished, timestamp: ts, kind: kind, server: server,
            worker: UInt32(truncatingIfNeeded: worker),
            cpu: cpu ?? UInt16(truncatingIfNeeded: row.get(WorkerRow.cpu)), arg: arg)
    }

    /// A server event: timestamps kept non-decreasing in the server's ring.
    @inline(__always)
    func serverEvent(_ kind: TraceEventKind, server: Int, row: PreloadRows.Row, at t: UInt64, arg: UInt64) {
        let ts = max(t, row.get(ServerRow.lastTimestamp))
        row.set(ServerRow.lastTimestamp, ts)
        push(
            slot: workerCapacity + server, row: row, unpublishedField: ServerRow.unpublished, timestamp: ts,
            kind: kind, server: UInt16(truncatingIfNeeded: server), worker: TraceEvent.noWorker, cpu: Self.cpu,
            arg: arg)
    }

    // MARK: EmulationObserver: workers

    override func workerRegistered(_ worker: Int, tid: Int32) {
        guard worker >= 0, worker < workerCapacity else { return }
        ensureRing(worker, label: "w\(worker)", tid: tid)
        let row = workers.row(worker)
        let now = clockNow()
        row.set(WorkerRow.tid, UInt64(UInt32(bitPattern: tid)))
        row.set(WorkerRow.cpu, UInt64(Self.cpu))
        row.setName(ThreadName.current(), at: WorkerRow.name)
        row.set(WorkerRow.server, UInt64(TraceEvent.noServer))
        row.set(WorkerRow.readySince, now)
        row.set(WorkerRow.state, UInt64(WorkerState.idle.rawValue))
        workerEvent(
            .register, worker: worker, row: row, at: now, server: TraceEvent.noServer,
            arg: UInt64(UInt32(bitPattern: tid)))
    }

    override func workerResumed(_ worker: Int, server: Int, switchedAt: UInt64) {
        guard worker >= 0, worker < workerCapacity else { return }
        // First: fewer values live across the call.
        let cpu = Self.cpu
        let row = workers.row(worker)
        let ready = row.get(WorkerRow.readySince)
        let waited = ready != 0 && switchedAt > ready ? switchedAt - ready : 0
        let sid = serverID(server)
        row.bump(WorkerRow.switches)
        row.add(WorkerRow.runnableNanos, waited)
        row.set(WorkerRow.switchedAt, switchedAt)
        row.set(WorkerRow.cpu, UInt64(cpu))
        row.set(WorkerRow.server, UInt64(sid))
        row.set(WorkerRow.state, UInt64(WorkerState.running.rawValue))
        workerEvent(.switchTo, worker: worker, row: row, at: switchedAt, server: sid, arg: waited, cpu: cpu)
    }

    override func workerStopping(_ worker: Int, server: Int, as stop: EmulatedStop, next: Int) {
        guard worker >= 0, worker < workerCapacity else { return }
        let row = workers.row(worker)
        let now = clockNow()
        let since = row.get(WorkerRow.switchedAt)
        let ran = since != 0 && now > since ? now - since : 0
        let sid = serverID(server)
        row.add(WorkerRow.runNanos, ran)
        switch stop {
        case .block(let reason):
            row.bump(WorkerRow.blocks)
            row.set(WorkerRow.blockedAt, now)
            row.set(WorkerRow.state, UInt64(WorkerState.blocked.rawValue))
            workerEvent(.block, worker: worker, row: row, at: now, server: sid, arg: reason)
        case .wait, .handoff:
            row.bump(WorkerRow.waits)
            row.set(WorkerRow.readySince, now)
            row.set(WorkerRow.state, UInt64(WorkerState.waiting.rawValue))
            workerEvent(.wait, worker: worker, row: row, at: now, server: sid, arg: ran)
            if stop == .handoff {
                row.bump(WorkerRow.handoffs)
                workerEvent(.handoff, worker: worker, row: row, at: now, server: sid, arg: UInt64(max(0, next)))
            }
        case .preempt:
            row.bump(WorkerRow.preemptions)
            row.set(WorkerRow.readySince, now)
            row.set(WorkerRow.state, UInt64(WorkerState.runnable.rawValue))
            workerEvent(.preempt, worker: worker, row: row, at: now, server: sid, arg: ran)
        }
    }

    override func workerWoke(_ worker: Int) {
        guard worker >= 0, worker < workerCapacity else { return }
        let row = workers.row(worker)
        let now = clockNow()
        let at = row.get(WorkerRow.blockedAt)
        let blocked = at != 0 && now > at ? now - at : 0
        row.bump(WorkerRow.wakes)
        row.add(WorkerRow.blockedNanos, blocked)
        row.set(WorkerRow.readySince, now)
        row.set(WorkerRow.state, UInt64(WorkerState.runnable.rawValue))
        workerEvent(
            .wake, worker: worker, row: row, at: now, server: UInt16(truncatingIfNeeded: row.get(WorkerRow.server)),
            arg: blocked)
    }

    override func workerTimedOut(_ worker: Int) {
        guard worker >= 0, worker < workerCapacity else { return }
        let row = workers.row(worker)
        row.bump(WorkerRow.timeouts)
        row.set(WorkerRow.state, UInt64(WorkerState.runnable.rawValue))
        workerEvent(
            .timeout, worker: worker, row: row, at: clockNow(),
            server: UInt16(truncatingIfNeeded: row.get(WorkerRow.server)), arg: 0)
    }

    override func workerExited(_ worker: Int, server: Int, threadEnded: Bool) {
        guard worker >= 0, worker < workerCapacity else { return }
        let row = workers.row(worker)
        let now = clockNow()
        if server >= 0 {
            let since = row.get(WorkerRow.switchedAt)
            row.add(WorkerRow.runNanos, since != 0 && now > since ? now - since : 0)
        }
        row.set(WorkerRow.state, UInt64(WorkerState.exited.rawValue))
        row.setName(ThreadName.current(), at: WorkerRow.name)
        let reason: ExitReason = threadEnded ? .threadEnded : .unregistered
        workerEvent(
            .exit, worker: worker, row: row, at: now, server: UInt16(truncatingIfNeeded: row.get(WorkerRow.server)),
            arg: reason.rawValue)
    }

    // MARK: EmulationObserver: servers

    override func serverRegistered(_ server: Int, tid: Int32) {
        guard server >= 0, server < serverCapacity else { return }
        ensureRing(workerCapacity + server, label: "s\(server)", tid: tid)
        let row = servers.row(server)
        row.set(ServerRow.tid, UInt64(UInt32(bitPattern: tid)))
        row.setName(ThreadName.current(), at: ServerRow.name)
        row.set(ServerRow.idleSince, 0)
        row.set(ServerRow.idleAtRegister, row.get(ServerRow.idleNanos))
        row.set(ServerRow.registeredAt, clockNow())
        row.set(ServerRow.state, UInt64(ServerState.running.rawValue))
        row.set(ServerRow.registered, 1)
    }

    override func serverUnregistered(_ server: Int) {
        guard server >= 0, server < serverCapacity else { return }
        let row = servers.row(server)
        row.setName(ThreadName.current(), at: ServerRow.name)
        row.add(ServerRow.busyNanos, Self.busySinceRegistered(row, now: clockNow()))
        row.set(ServerRow.state, UInt64(ServerState.stopped.rawValue))
    }

    /// Counts the switch and its events; no clock read (busy time is the registered time the
    /// server did not sleep in WAIT, see `busySinceRegistered`).
    override func serverSwitched(_ server: Int, worker: Int, startedAt: UInt64, events: Int) {
        guard server >= 0, server < serverCapacity else { return }
        let row = servers.row(server)
        row.bump(ServerRow.switches)
        row.add(ServerRow.events, UInt64(events))
    }

    /// Busy ns of a server's current registration up to `now`: registered, not asleep in WAIT.
    static func busySinceRegistered(_ row: PreloadRows.Row, now: UInt64) -> UInt64 {
        let since = row.get(ServerRow.registeredAt)
        let idleSince = row.get(ServerRow.idleSince)
        let idle =
            row.get(ServerRow.idleNanos) &- row.get(ServerRow.idleAtRegister)
            &+ (idleSince != 0 && now > idleSince ? now - idleSince : 0)
        guard since != 0, now > since, now - since > idle else { return 0 }
        return now - since - idle
    }

    override func serverIdle(_ server: Int) {
        guard server >= 0, server < serverCapacity else { return }
        let row = servers.row(server)
        let now = clockNow()
        row.set(ServerRow.idleSince, now)
        row.set(ServerRow.state, UInt64(ServerState.idle.rawValue))
        serverEvent(.serverIdle, server: server, row: row, at: now, arg: 0)
    }

    override func serverWaitEnded(_ server: Int, events: Int, slept: Bool) {
        guard server >= 0, server < serverCapacity else { return }
        let row = servers.row(server)
        row.add(ServerRow.events, UInt64(events))
        guard slept else { return }
        let now = clockNow()
        let since = row.get(ServerRow.idleSince)
        let idle = since != 0 && now > since ? now - since : 0
        row.add(ServerRow.idleNanos, idle)
        row.set(ServerRow.idleSince, 0)
        row.set(ServerRow.state, UInt64(ServerState.running.rawValue))
        serverEvent(.serverWake, server: server, row: row, at: now, arg: idle)
    }
}

/// The references a forked child keeps of its parent's publication, never released (see
/// `PreloadTracer.forgetParentAfterFork`).
final class PreloadAbandoned: @unchecked Sendable {
    // SAFETY: immutable after init; never released (see `PreloadTracer.forgetParentAfterFork`).
    let state: PreloadTracer.State
    init(_ state: PreloadTracer.State) { self.state = state }
}
