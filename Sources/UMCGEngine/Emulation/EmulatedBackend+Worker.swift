import Synchronization
import UMCGSystem

extension EmulatedBackend {
    /// Worker WAIT: yield. The worker goes WAITING, its server gets WAIT, and it sleeps until a server
    /// switches to it (0), its absolute CLOCK_REALTIME deadline passes and a server then switches to it
    /// (ETIMEDOUT; TIMEOUT was queued for the servers), or an interrupt arrives (EINTR).
    ///
    /// EINTR semantics: its server was already told of the WAIT; the worker goes `interrupted` (no
    /// server can switch to it: EINVAL) while it runs plain code, and must resume with WAIT +
    /// UMCG_WAIT_FLAG_INTERRUPTED (no second WAIT event), which makes it switchable again. A server
    /// that claimed it before the interrupt was seen wins: the WAIT returns 0 and the interrupt stays
    /// pending. The flag without a prior EINTR is EINVAL.
    func workerWait(_ w: WorkerBlock, resume: Bool, deadline: UInt64) throws(Errno) {
        if resume {
            // AcquiringAndReleasing: own flag; pairs with the EINTR path below.
            let old = w.flags.pointee.bitwiseAnd(~WorkerBlock.flagInterruptedWait, ordering: .acquiringAndReleasing)
                .oldValue
            guard old & WorkerBlock.flagInterruptedWait != 0 else { throw .EINVAL }
            // Relaxed: only this thread leaves `interrupted` (servers cannot claim it).
            let s = w.state.pointee.load(ordering: .relaxed)
            if s & UMCGWorkerState.mask == WorkerBlock.interrupted {
                // Releasing: claimable again; pairs with claim's acquiring CAS.
                w.state.pointee.store(
                    UMCGWorkerState.waiting | (s & UMCGWorkerState.timeoutBit), ordering: .releasing)
            }
            // Relaxed: own field.
            try waitToRun(w, deadline: w.deadline.pointee.load(ordering: .relaxed), interruptible: true)
            return
        }
        guard let si = beginStop(w) else { throw .EINVAL }
        if let observer {
            observer._withUnsafeGuaranteedRef {
                $0.workerStopping(workerIndex(w), server: Int(si), as: .wait, next: -1)
            }
        }
        // Relaxed: own field, read by this thread only.
        w.deadline.pointee.store(deadline, ordering: .relaxed)
        // Releasing: pairs with claim's acquiring CAS.
        w.state.pointee.store(UMCGWorkerState.waiting, ordering: .releasing)
        postStop(w, type: .wait, server: si)
        try waitToRun(w, deadline: deadline, interruptible: true)
    }

    /// Leaves RUNNING for the transient `stopping` state with one CAS and returns the server the
    /// worker ran on, read after the CAS; nil when the worker was not RUNNING.
    ///
    /// Reentrancy: a signal handler on the same thread (`preemptCurrentWorker()`) that runs before the
    /// CAS completes a whole stop-and-resume and returns with the worker RUNNING again, maybe on
    /// another server; the CAS then succeeds and the server read after it is the current one. A handler
    /// that runs after the CAS finds the worker not RUNNING and does nothing. The caller publishes the
    /// next state (WAITING, RUNNABLE, IDLE) after it read what it needs, since a claimable worker's
    /// `server` field belongs to whichever server claims it.
    @inline(__always)
    func beginStop(_ w: WorkerBlock) -> UInt32? {
        // AcquiringAndReleasing: own state; nobody else moves a RUNNING worker.
        guard
            w.state.pointee.compareExchange(
                expected: UMCGWorkerState.running, desired: WorkerBlock.stopping, ordering: .acquiringAndReleasing
            ).exchanged
        else { return nil }
        // Relaxed: the server wrote it before publishing RUNNING, which we acquired.
        return w.server.pointee.load(ordering: .relaxed)
    }

    /// Worker CTX_SWITCH, the klib's way: the target must be RUNNABLE (its event taken by a server);
    /// the caller goes IDLE with its WAIT on the global list (any idle server takes it and makes the
    /// caller RUNNABLE), and its server runs the target. `deadline` (abs_timeout) is honoured: when it
    /// passes before a server took the WAIT, TIMEOUT follows the WAIT in the same buffer and the call
    /// returns ETIMEDOUT once a server switches back to the caller.
    func workerSwitch(_ w: WorkerBlock, to tid: Int32, deadline: UInt64) throws(Errno) {
        guard let si = beginStop(w) else { throw .EINVAL }
        // Read before the claim, like serverSwitch's: the target's line then takes back-to-back stores.
        let startedAt = clockNow()
        let next: WorkerBlock
        let ref: UInt32
        let claimedFrom: UInt32
        do throws(Errno) {
            (next, ref) = try lookupWorker(tid)
            guard next.raw != w.raw else { throw .EINVAL }
            claimedFrom = try claim(next, tid: tid, orWaiting: false)
        } catch {
            // Releasing: own state back; nothing was published.
            w.state.pointee.store(UMCGWorkerState.running, ordering: .releasing)
            throw error
        }
        let s = server(Int(si))
        if let observer {
            observer._withUnsafeGuaranteedRef {
                $0.workerStopping(workerIndex(w), server: Int(si), as: .handoff, next: Int(ref))
            }
        }
        // Relaxed: own field, read by this thread only.
        w.deadline.pointee.store(deadline, ordering: .relaxed)
        // Releasing: the drainer's acquiring load/CAS sees IDLE before it sees the entry.
        w.state.pointee.store(UMCGWorkerState.idle, ordering: .releasing)
        postIdle(w, type: .wait)
        publishRunning(next, ref: ref, claimed: claimedFrom, on: s, index: si, startedAt: startedAt)
        try waitToRun(w, deadline: deadline, interruptible: false)
    }

    /// Sleeps until a server switched to `w` (RUNNING). Handles the deadline (WAITING → IDLE|TIMEOUT
    /// with TIMEOUT on the global list; IDLE → IDLE|TIMEOUT, whose TIMEOUT the drainer puts behind the
    /// WAIT) and interrupts when `interruptible`.
    func waitToRun(_ w: WorkerBlock, deadline: UInt64, interruptible: Bool) throws(Errno) {
        // Relaxed: placement hint of the server it expects to be picked by (its last one's CPU).
        let spin = spinBudget(own: w.cpu, peerCPU: w.serverCPU.pointee.load(ordering: .relaxed))
        // The switch that made it RUNNING last time was seen on its state, its notification (if any) left.
        w.parker.dropStale()
        while true {
            // Acquiring: pairs with the server's releasing RUNNING store (serverSwitch / workerSwitch).
            let s = w.state.pointee.load(ordering: .acquiring)
            let base = s & UMCGWorkerState.mask
            if base == UMCGWorkerState.running {
                if s & UMCGWorkerState.timeoutBit != 0 {
                    // AcquiringAndReleasing: a CAS, not a store, so a signal handler that preempted us
                    // between the load and here (it needs exactly RUNNING, so it did not) stays safe.
                    guard
                        w.state.pointee.compareExchange(
                            expected: s, desired: UMCGWorkerState.running, ordering: .acquiringAndReleasing
                        ).exchanged
                    else { continue }
                    if let observer { observer._withUnsafeGuaranteedRef { resumed(w, $0) } }
                    throw .ETIMEDOUT
                }
                if let observer { observer._withUnsafeGuaranteedRef { resumed(w, $0) } }
                return
            }
            var parkDeadline: UInt64 = 0
            if base == UMCGWorkerState.waiting && interruptible {
                // AcquiringAndReleasing: consumes interrupt()'s bitwiseOr.
                let old = w.flags.pointee.bitwiseAnd(~WorkerBlock.flagInterrupt, ordering: .acquiringAndReleasing)
                    .oldValue
                if old & WorkerBlock.flagInterrupt != 0 {
                    // AcquiringAndReleasing: races with claim(); if a server won, the worker runs
                    // and the interrupt stays pending for its next WAIT.
                    let parked = s & UMCGWorkerState.timeoutBit | WorkerBlock.interrupted
                    guard
                        w.state.pointee.compareExchange(
                            expected: s, desired: parked, ordering: .acquiringAndReleasing
                        ).exchanged
                    else {
                        // Relaxed: own flag, consumed again by this thread.
                        w.flags.pointee.bitwiseOr(WorkerBlock.flagInterrupt, ordering: .relaxed)
                        continue
                    }
                    // Relaxed: own flag, read back by this thread only.
                    w.flags.pointee.bitwiseOr(WorkerBlock.flagInterruptedWait, ordering: .relaxed)
                    throw .EINTR
                }
            }
            if deadline != 0 && s & UMCGWorkerState.timeoutBit == 0
                && (base == UMCGWorkerState.waiting || base == UMCGWorkerState.idle)
            {
                if deadline == UMCGABI.pollTimeout || SystemClock.realtimeNanos() >= deadline {
                    // AcquiringAndReleasing: races with claim() (WAITING) or the drainer (IDLE); one wins.
                    let timedOut = UMCGWorkerState.idle | UMCGWorkerState.timeoutBit
                    if w.state.pointee.compareExchange(expected: s, desired: timedOut, ordering: .acquiringAndReleasing)
                        .exchanged
                    {
                        if let observer { observer._withUnsafeGuaranteedRef { $0.workerTimedOut(workerIndex(w)) } }
                        if base == UMCGWorkerState.waiting { postIdle(w, type: .timeout) }
                    }
                    continue
                }
                parkDeadline = deadline
            }
            _ = w.parker.park(spinNanos: spin, deadline: parkDeadline, yields: parkYields(spin: spin)) {
                // Relaxed: a peek; the loop's acquiring load reads the state again.
                w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.running
            } begun: {
                // SequentiallyConsistent: after the park's announcement; pairs with a claimer's CAS and
                // its look at the park word (publishRunning), which unparks only a worker asleep then.
                let base = w.state.pointee.load(ordering: .sequentiallyConsistent) & UMCGWorkerState.mask
                return base == UMCGWorkerState.running || base == WorkerBlock.switching
            }
        }
    }

    /// Tells the observer that `w` runs again (see `EmulationObserver.workerResumed`).
    @inline(never)
    func resumed(_ w: WorkerBlock, _ observer: EmulationObserver) {
        // Relaxed: written by the switching thread before its releasing RUNNING store, which we acquired.
        let si = w.server.pointee.load(ordering: .relaxed)
        let at = w.switchedAt.pointee.load(ordering: .relaxed)
        observer.workerResumed(workerIndex(w), server: si == noIndex ? -1 : Int(si), switchedAt: at)
    }

    // MARK: blocking sections and preemption

    /// The calling RUNNING worker enters a blocking section: BLOCK goes to its server (EINVAL otherwise).
    public func enterBlocking() throws(Errno) {
        try enterBlocking(reason: 0)
    }

    /// `enterBlocking()` naming why (a `BlockReason` raw value, for the observer's BLOCK event).
    public func enterBlocking(reason: UInt64) throws(Errno) {
        guard case .worker(let w) = currentRole() else { throw .EINVAL }
        // One CAS out of RUNNING, then the server is read (see `beginStop`); BLOCKED cannot be claimed.
        // AcquiringAndReleasing: pairs with a server's acquiring loads of the state.
        guard
            w.state.pointee.compareExchange(
                expected: UMCGWorkerState.running, desired: UMCGWorkerState.blocked, ordering: .acquiringAndReleasing
            ).exchanged
        else { throw .EINVAL }
        // Relaxed: written before RUNNING was published, which we acquired.
        let si = w.server.pointee.load(ordering: .relaxed)
        if let observer {
            observer._withUnsafeGuaranteedRef {
                $0.workerStopping(workerIndex(w), server: Int(si), as: .block(reason: reason), next: -1)
            }
        }
        postStop(w, type: .block, server: si)
    }

    /// The calling BLOCKED worker leaves its section: it goes IDLE with WAKE on the global list (a
    /// server WAITing on it is unparked) and waits until a server took the WAKE and switched to it.
    public func leaveBlocking() throws(Errno) {
        guard case .worker(let w) = currentRole() else { throw .EINVAL }
        // SequentiallyConsistent: pairs with waitForUnblock's watcher store + state load (Dekker).
        guard
            w.state.pointee.compareExchange(
                expected: UMCGWorkerState.blocked, desired: UMCGWorkerState.idle, ordering: .sequentiallyConsistent
            ).exchanged
        else { throw .EINVAL }
        // SequentiallyConsistent: see above.
        let watcher = w.watcher.pointee.exchange(noIndex, ordering: .sequentiallyConsistent)
        if let observer { observer._withUnsafeGuaranteedRef { $0.workerWoke(workerIndex(w)) } }
        if watcher != noIndex { server(Int(watcher)).parker.unpark(alwaysWake: true) }
        postIdle(w, type: .wake)
        try waitToRun(w, deadline: 0, interruptible: false)
    }

    /// Preempts the calling worker when it has run a full slice (PREEMPT, then waits to be picked).
    @discardableResult
    public func checkpoint() throws(Errno) -> Bool {
        guard case .worker(let w) = currentRole() else { return false }
        // Relaxed: own state; preemptNow re-checks it with a CAS.
        guard w.state.pointee.load(ordering: .relaxed) == UMCGWorkerState.running else { return false }
        // Relaxed: written by the server before its releasing RUNNING store, which we acquired.
        let since = w.switchedAt.pointee.load(ordering: .relaxed)
        guard clockNow() &- since >= options.sliceNanos else { return false }
        return preemptNow(w)
    }

    /// Parks the calling worker now as preempted: PREEMPT goes to its server, the worker is RUNNABLE,
    /// and the call returns once a server switched to it again. Returns false (and does nothing) when
    /// the caller is not a RUNNING worker of this backend, for example because the signal interrupted
    /// the worker in the middle of a WAIT, handoff or blocking call.
    ///
    /// Async-signal-safe, for a preemption timer's handler (SIGEV_THREAD_ID) on the worker's own
    /// thread: no allocation, no lock, only the thread's TLS slot, atomics and futex calls (the park
    /// word tolerates a handler parking over an interrupted park of the same thread). The engine's
    /// scheduler gets the same PREEMPT as from `checkpoint()`; on the kernel backend the kernel does
    /// this itself. The thread's errno is left as it was (the futex calls would change it under the
    /// interrupted code).
    @discardableResult
    public func preemptCurrentWorker() -> Bool {
        Errno.preservingThreadErrno {
            guard case .worker(let w) = currentRole() else { return false }
            guard preemptNow(w) else { return false }
            // The handler may have interrupted this thread's own `waitToRun` between its state check
            // and its park: the switch that made it RUNNING was then consumed here, and the
            // interrupted frame would sleep on the word with the worker RUNNING and its server
            // waiting for it to stop (seen under TSan in the signal-driven stress). A notification
            // of our own makes that frame re-check its state; elsewhere it is one spurious wake-up,
            // which every park's caller tolerates (it loops on its condition).
            w.parker.unpark(alwaysWake: false)
            return true
        }
    }

    @inline(__always)
    func preemptNow(_ w: WorkerBlock) -> Bool {
        guard let si = beginStop(w) else { return false }
        if let observer {
            observer._withUnsafeGuaranteedRef {
                $0.workerStopping(workerIndex(w), server: Int(si), as: .preempt, next: -1)
            }
        }
        // Releasing: pairs with claim's acquiring CAS.
        w.state.pointee.store(UMCGWorkerState.runnable, ordering: .releasing)
        postStop(w, type: .preempt, server: si)
        // Deadline 0, not interruptible: it cannot fail.
        try? waitToRun(w, deadline: 0, interruptible: false)
        return true
    }
}
