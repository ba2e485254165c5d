import Synchronization
import UMCGSystem
import UMCGTrace

/// One server thread's user-space scheduler: a FIFO run queue of its own, CTX_SWITCH to the head,
/// idle WAIT for events when empty, stealing one worker from another server's queue before idling.
/// Every `balanceInterval`th worker it makes runnable goes to the shortest other queue instead when
/// its own is longer by more than 1 (+1/16), so runnable workers spread evenly over the servers.
/// Every transition updates the lossless counters and is traced into this server's ring.
struct ServerScheduler {
    let engine: Engine
    /// `engine.backend` and `TraceClock.shared`, held here so the per-switch path neither copies the
    /// engine's existential (a retain and a release around every CTX_SWITCH) nor runs the global's
    /// lazy-initialisation check on each clock read.
    let backend: any UMCGBackend
    let clock: TraceClock
    let index: Int
    let ring: TraceRing?
    let rows: CounterSlab
    let srv: CounterSlab
    let workerCount: Int
    var cpu: UInt16 = TraceEvent.noCPU
    var lastTimestamp: UInt64 = 0
    var idleSince: UInt64 = 0
    var idle = false
    /// Start of the CTX_SWITCH whose events are being handled (0 outside one).
    var switchStart: UInt64 = 0
    /// Workers made runnable so far (the balance check runs on every `balanceInterval`th).
    var enqueueTick: UInt32 = 0
    /// Whether to prefetch the next workers' memory before each switch (see `prefetchNext`).
    let prefetch: Bool
    /// Time a WAKE by its receipt, not by the worker's `WorkerField.wakeAt` (see `WakeTiming`).
    let wakeByReceipt: Bool

    static let eventSlots: Int32 = 16
    /// How often (in workers made runnable) a server compares its run queue with the others'. The
    /// check reads the other servers' queue heads and tails, lines those servers write on every
    /// switch, so it is not done on every one.
    static let balanceInterval: UInt32 = 64
    /// Workers per server from which `prefetchNext` runs: below it they all stay in the caches.
    static let prefetchFromWorkersPerServer = 64
    /// Most bytes of a worker's stack prefetched (its parked frames up to glibc's descriptor).
    static let prefetchStackBytes = 8 << 10

    init(engine: Engine, index: Int) {
        self.engine = engine
        backend = engine.backend
        clock = TraceClock.shared
        self.index = index
        ring = engine.rings[index]
        rows = engine.workerRows
        srv = engine.serverRows
        workerCount = engine.workerCapacity
        prefetch = engine.prefetchesNextWorkers
        wakeByReceipt = WakeTiming(for: engine.backend) == .receipt
    }

    mutating func run() {
        if engine.configuration.pinThreads {
            let allowed = engine.allowedCPUs
            try? CPU.pin(allowed[index % allowed.count])
        }
        let c = CPU.current()
        cpu = c < 0 ? TraceEvent.noCPU : UInt16(truncatingIfNeeded: c)
        srv.set(index, ServerField.tid, UInt64(UInt32(bitPattern: ThreadID.current())))
        engine.reached(.publishedTid)
        srv.set(index, ServerField.cpu, UInt64(c + 1))
        do throws(Errno) {
            try backend.ctl(.registerServer)
        } catch {
            // Relaxed: a statistic read after joins.
            engine.failures.add(1, ordering: .relaxed)
            return
        }
        // SAFETY: this thread's event array, freed when the loop ends; the backend writes ≤ eventSlots.
        let events = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(Self.eventSlots))
        defer {
            events.deallocate()
            try? backend.ctl(.unregister)
            srv.set(index, ServerField.state, UInt64(ServerState.stopped.rawValue))
            srv.set(index, ServerField.current, 0)
        }
        srv.set(index, ServerField.state, UInt64(ServerState.idle.rawValue))
        while true {
            if let w = nextWorker() {
                runWorker(w, events: events)
                continue
            }
            // Relaxed: set once all workers exited (stop joins them first).
            if engine.serversStop.load(ordering: .relaxed) { break }
            idleWait(events: events)
        }
    }

    /// The head of the own queue, else one worker stolen from another server.
    mutating func nextWorker() -> Int? {
        if let w = engine.runQueues[index].dequeue() { return Int(w) }
        let n = engine.configuration.servers
        var k = 1
        while k < n {
            if let w = engine.runQueues[(index + k) % n].dequeue() { return Int(w) }
            k += 1
        }
        return nil
    }

    mutating func runWorker(_ w: Int, events: UnsafeMutablePointer<UInt64>) {
        if prefetch { prefetchNext() }
        // Releasing: a later enqueue (any server) sees the entry gone; pairs with enqueue's CAS.
        rows.field(w, WorkerField.queued).pointee.store(0, ordering: .releasing)
        let tid = Int32(truncatingIfNeeded: rows.get(w, WorkerField.tid))
        let previousState = rows.get(w, WorkerField.state)
        let previousSwitchIn = rows.get(w, WorkerField.switchedInAt)
        let t0 = clock.nanos()
        rows.set(w, WorkerField.state, UInt64(WorkerState.running.rawValue))
        rows.set(w, WorkerField.server, UInt64(index))
        rows.set(w, WorkerField.switchedInAt, t0)
        srv.set(index, ServerField.state, UInt64(ServerState.running.rawValue))
        srv.set(index, ServerField.current, UInt64(w + 1))
        do throws(Errno) {
            try backend.ctl(.ctxSwitch, nextTid: tid, events: events, eventCount: Self.eventSlots)
        } catch {
            // A stale entry: the worker ran by handoff or blocked meanwhile; its next event requeues it.
            // Relaxed: best-effort restore of the displayed state.
            _ = rows.field(w, WorkerField.state).pointee.compareExchange(
                expected: UInt64(WorkerState.running.rawValue), desired: previousState, ordering: .relaxed)
            _ = rows.field(w, WorkerField.switchedInAt).pointee.compareExchange(
                expected: t0, desired: previousSwitchIn, ordering: .relaxed)
            srv.add(index, ServerField.staleSwitches, 1)
            srv.set(index, ServerField.state, UInt64(ServerState.idle.rawValue))
            srv.set(index, ServerField.current, 0)
            return
        }
        let t1 = clock.nanos()
        let waited = t0 &- min(t0, rows.get(w, WorkerField.runnableSince))
        rows.add(w, WorkerField.switches, 1)
        rows.add(w, WorkerField.runnableNanos, waited)
        srv.add(index, ServerField.switches, 1)
        srv.add(index, ServerField.busyNanos, t1 &- t0)
        srv.set(index, ServerField.current, 0)
        srv.set(index, ServerField.state, UInt64(ServerState.idle.rawValue))
        trace(.switchTo, at: t0, worker: w, arg: waited)
        // The direct handoffs, then the queued events (handoff WAITs among them), then the stop
        // event in slot 0, so a chain of handoffs is accounted in the order it happened.
        switchStart = t0
        accountHandoffs()
        process(events + 1, count: Self.eventSlots - 1, at: t1)
        process(events, count: 1, at: t1)
        switchStart = 0
    }

    /// With thousands of workers each switch lands on a worker whose memory left the caches long
    /// ago; the switch after this one will too. Prefetch for it now, while the kernel switches
    /// this one in: the counter rows of the worker two places ahead in the run queue, and the
    /// stack of the next one (from where it parked to its top, where glibc keeps the thread
    /// descriptor and TLS), whose row was prefetched one switch earlier. Hints only: a queue
    /// entry taken meanwhile by a stealing server costs nothing but the loads.
    @inline(never)
    func prefetchNext() {
        let q = engine.runQueues[index]
        if let n = q.peek(ahead: 1), n < UInt64(workerCount) {
            let w = Int(n)
            CPU.prefetch(rows.field(w, 0))
            CPU.prefetch(rows.field(w, 16))
            CPU.prefetch(rows.field(w, 24))
        }
        guard let n = q.peek(), n < UInt64(workerCount) else { return }
        backend.prefetch(worker: Int32(truncatingIfNeeded: rows.get(Int(n), WorkerField.tid)))
        let sp = rows.get(Int(n), WorkerField.parkSP)
        let top = rows.get(Int(n), WorkerField.stackTop)
        // The backend's frames below the recorded address (ctl, park, the futex call): 1.5 KiB.
        guard sp != 0, top > sp, top - sp <= UInt64(Self.prefetchStackBytes) else { return }
        var line = (sp &- 1536) & ~63
        while line < top {
            if let address = UnsafeRawPointer(bitPattern: UInt(line)) { CPU.prefetch(address) }
            line &+= 64
        }
    }

    mutating func idleWait(events: UnsafeMutablePointer<UInt64>) {
        let t0 = clock.nanos()
        if !idle {
            idle = true
            idleSince = t0
            trace(.serverIdle, at: t0, worker: -1, arg: 0)
        }
        srv.set(index, ServerField.state, UInt64(ServerState.idle.rawValue))
        var got = false
        do throws(Errno) {
            // A deadline so that stop() is noticed even without a UMCG_WAKE.
            try backend.ctl(
                .wait, absTimeout: SystemClock.realtimeNanos() &+ 50_000_000, events: events,
                eventCount: Self.eventSlots)
            got = events[0] != 0
        } catch {
            got = false  // ETIMEDOUT / EINTR: look at the stop flag and the queues again
        }
        let t1 = clock.nanos()
        srv.add(index, ServerField.idleNanos, t1 &- t0)
        // The CPU in trace events: refreshed after each idle period (cheap: glibc reads it from rseq).
        let c = CPU.current()
        if c >= 0 {
            cpu = UInt16(truncatingIfNeeded: c)
            srv.set(index, ServerField.cpu, UInt64(c + 1))
        }
        if got {
            idle = false
            trace(.serverWake, at: t1, worker: -1, arg: t1 &- idleSince)
            process(events, count: Self.eventSlots, at: t1)
        }
    }

    mutating func process(_ events: UnsafeMutablePointer<UInt64>, count: Int32, at t: UInt64) {
        var i = 0
        while i < Int(count) {
            let ev = events[i]
            if ev == 0 { break }
            handle(UMCGEvent(rawValue: ev), at: t)
            i += 1
        }
    }

    mutating func handle(_ ev: UMCGEvent, at t: UInt64) {
        let id = Int(truncatingIfNeeded: ev.workerID >> UMCGABI.workerIDShift)
        guard id >= 1, id <= workerCount, let type = ev.type else { return }
        let w = id - 1
        srv.add(index, ServerField.events, 1)
        // Events of one worker may be handled by two servers out of order (a handed-off worker's
        // queued WAIT); the displayed state never leaves EXITED.
        if type != .exit, rows.get(w, WorkerField.state) == UInt64(WorkerState.exited.rawValue) {
            setCountersOnly(type, w)
            return
        }
        switch type {
        case .block:
            // The run ends at the receipt and the blocked time starts there (no overlap). When the
            // WAKE came back first (both in one CTX_SWITCH's events: the queued ones go first), the
            // run ends at the worker's own stamp and the worker stays runnable.
            let at = blockStart(w, receivedAt: t)
            let woken = rows.get(w, WorkerField.state) == UInt64(WorkerState.runnable.rawValue)
            endRun(w, at: woken ? at : t)
            rows.add(w, WorkerField.blocks, 1)
            if !woken {
                rows.set(w, WorkerField.state, UInt64(WorkerState.blocked.rawValue))
                rows.set(w, WorkerField.blockedAt, t)
            }
            trace(.block, at: at, worker: w, arg: rows.get(w, WorkerField.blockReason))
        case .wake:
            rows.add(w, WorkerField.wakes, 1)
            var at = t
            var blocked: UInt64 = 0
            if rows.get(w, WorkerField.registered) == 0 {
                rows.set(w, WorkerField.registered, 1)
                trace(.register, at: t, worker: w, arg: rows.get(w, WorkerField.tid))
                rows.set(w, WorkerField.state, UInt64(WorkerState.idle.rawValue))
            } else {
                // On the kernel the worker writes `wakeAt` only once switched back in: use `t`.
                if !wakeByReceipt { at = rows.get(w, WorkerField.wakeAt) }
                // Woken before its BLOCK was handled: runnable from where the run ended, blocked 0.
                let blockedAt = rows.get(w, WorkerField.blockedAt)
                at = max(at, blockedAt)
                blocked = at &- blockedAt
                rows.add(w, WorkerField.blockedNanos, blocked)
                rows.set(w, WorkerField.state, UInt64(WorkerState.runnable.rawValue))
            }
            trace(.wake, at: at, worker: w, arg: blocked)
            makeRunnable(w, since: at)
        case .wait:
            rows.add(w, WorkerField.waits, 1)
            rows.set(w, WorkerField.state, UInt64(WorkerState.waiting.rawValue))
            let target = rows.get(w, WorkerField.handoffTarget)
            if target != 0, target <= UInt64(workerCount) {
                // A queued WAIT of a worker that handed its server to `target` at `h`.
                rows.set(w, WorkerField.handoffTarget, 0)
                let h = min(t, max(rows.get(w, WorkerField.handoffAt), rows.get(w, WorkerField.switchedInAt)))
                let ran = endRun(w, at: h)
                rows.set(w, WorkerField.runnableSince, h)
                trace(.wait, at: h, worker: w, arg: ran)
                trace(.handoff, at: h, worker: w, arg: target - 1)
                handoffSwitch(to: Int(target - 1), at: h)
            } else {
                let ran = endRun(w, at: t)
                rows.set(w, WorkerField.runnableSince, t)
                trace(.wait, at: t, worker: w, arg: ran)
            }
            if rows.get(w, WorkerField.timedWait) == 0 { enqueue(w) }
        case .exit:
            endRun(w, at: t)
            rows.set(w, WorkerField.state, UInt64(WorkerState.exited.rawValue))
            // WorkerField.failed: 0 unregistered, 1 the workload threw, 2 the thread ended without UNREGISTER.
            let failed = rows.get(w, WorkerField.failed)
            let reason: ExitReason = failed == 2 ? .threadEnded : failed != 0 ? .workloadFailed : .unregistered
            trace(.exit, at: t, worker: w, arg: reason.rawValue)
            // Relaxed: a count read after joins.
            engine.exitedWorkers.add(1, ordering: .relaxed)
        case .timeout:
            rows.add(w, WorkerField.timeouts, 1)
            rows.set(w, WorkerField.timedWait, 0)
            rows.set(w, WorkerField.state, UInt64(WorkerState.runnable.rawValue))
            trace(.timeout, at: t, worker: w, arg: 0)
            makeRunnable(w, since: t)
        case .preempt:
            let ran = endRun(w, at: t)
            rows.add(w, WorkerField.preemptions, 1)
            rows.set(w, WorkerField.state, UInt64(WorkerState.runnable.rawValue))
            trace(.preempt, at: t, worker: w, arg: ran)
            makeRunnable(w, since: t)
        }
    }

    /// Adds the run interval that ends at `t` to `w`'s run time and returns its length. A worker
    /// that was switched in by a handoff this server has not accounted yet counts from the start of
    /// the current CTX_SWITCH at most.
    @discardableResult
    func endRun(_ w: Int, at t: UInt64) -> UInt64 {
        var start = rows.get(w, WorkerField.switchedInAt)
        if switchStart != 0 && start < switchStart { start = switchStart }
        let ran = t &- min(t, start)
        rows.add(w, WorkerField.runNanos, ran)
        return ran
    }

    /// Counts a late event of an exited worker (and traces it) without touching its state or queues.
    mutating func setCountersOnly(_ type: UMCGEventType, _ w: Int) {
        let t = clock.nanos()
        switch type {
        case .block:
            rows.add(w, WorkerField.blocks, 1)
            trace(.block, at: t, worker: w, arg: rows.get(w, WorkerField.blockReason))
        case .wake:
            rows.add(w, WorkerField.wakes, 1)
            trace(.wake, at: t, worker: w, arg: 0)
        case .wait:
            rows.add(w, WorkerField.waits, 1)
            trace(.wait, at: t, worker: w, arg: 0)
            let target = rows.get(w, WorkerField.handoffTarget)
            if target != 0, target <= UInt64(workerCount) {
                rows.set(w, WorkerField.handoffTarget, 0)
                trace(.handoff, at: t, worker: w, arg: target - 1)
                handoffSwitch(to: Int(target - 1), at: t)
            }
        case .timeout:
            rows.add(w, WorkerField.timeouts, 1)
            trace(.timeout, at: t, worker: w, arg: 0)
        case .preempt:
            rows.add(w, WorkerField.preemptions, 1)
            trace(.preempt, at: t, worker: w, arg: 0)
        case .exit: break
        }
    }

    @inline(__always)
    mutating func makeRunnable(_ w: Int, since t: UInt64) {
        rows.set(w, WorkerField.runnableSince, t)
        enqueue(w)
    }

    /// Appends `w` to a run queue (this server's, see `runQueue()`) unless it already sits in one.
    @inline(__always)
    mutating func enqueue(_ w: Int) {
        // AcquiringAndReleasing: exactly one server wins 0 → 1; pairs with runWorker's releasing clear.
        if rows.field(w, WorkerField.queued).pointee.compareExchange(
            expected: 0, desired: 1, ordering: .acquiringAndReleasing
        )
        .exchanged {
            let q = runQueue()
            engine.runQueues[q].enqueueWaiting(UInt64(w))
            if q != index { migrated(to: q) }
        }
    }

    /// The run queue for the worker being made runnable: this server's own, except on every
    /// `balanceInterval`th call when another server's queue is shorter by more than 1 + 1/16 of
    /// this one's (the worker being queued is not in either: it counts for this server).
    /// Without it, a pingpong engine keeps whatever split registration gave it: 7 + 1 workers on
    /// two servers means one worker gets a whole CPU and seven share the other.
    @inline(__always)
    mutating func runQueue() -> Int {
        let n = engine.configuration.servers
        guard n > 1 else { return index }
        enqueueTick &+= 1
        guard enqueueTick % Self.balanceInterval == 0 else { return index }
        let mine = engine.runQueues[index].approximateCount
        var best = index
        var shortest = mine
        var k = 1
        while k < n {
            let o = (index + k) % n
            let c = engine.runQueues[o].approximateCount
            if c < shortest {
                best = o
                shortest = c
            }
            k += 1
        }
        return mine > shortest + 1 + mine / 16 ? best : index
    }

    /// Counts a migration to server `q` and makes sure an idle server looks at the queues.
    @inline(never)
    func migrated(to q: Int) {
        srv.add(index, ServerField.migrations, 1)
        if srv.get(q, ServerField.state) == UInt64(ServerState.idle.rawValue) {
            // An idle server sleeps in WAIT until an event; UMCG_WAKE pokes one (EAGAIN: none is
            // idle any more, so the queue will be looked at). Any server steals from any queue.
            try? backend.ctl(.wake)
        }
    }

    /// Pushes one event; timestamps are kept non-decreasing within this ring. One branch when untraced.
    @inline(__always)
    mutating func trace(_ kind: TraceEventKind, at t: UInt64, worker: Int, arg: UInt64) {
        guard let ring else { return }
        let ts = max(t, lastTimestamp)
        lastTimestamp = ts
        ring.push(
            TraceEvent(
                timestamp: ts, kind: kind, server: UInt16(truncatingIfNeeded: index),
                worker: worker < 0 ? TraceEvent.noWorker : UInt32(truncatingIfNeeded: worker), cpu: cpu, arg: arg))
    }
}
