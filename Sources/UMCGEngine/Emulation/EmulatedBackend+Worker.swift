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
        // Relaxed: only this thread moves its state out of RUNNING.
        guard w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.running else {
            throw .EINVAL
        }
        // Relaxed: own fields (the server wrote `server` before publishing RUNNING, which we acquired).
        let si = w.server.pointee.load(ordering: .relaxed)
        w.deadline.pointee.store(deadline, ordering: .relaxed)
        // Releasing: pairs with claim's acquiring CAS.
        w.state.pointee.store(UMCGWorkerState.waiting, ordering: .releasing)
        postStop(w, type: .wait, server: si)
        try waitToRun(w, deadline: deadline, interruptible: true)
    }

    /// Worker CTX_SWITCH: hands the caller's server to worker `tid`; the caller goes WAITING and its
    /// server sees WAIT for it (queued; delivered with the next worker's stop event).
    func workerSwitch(_ w: WorkerBlock, to tid: Int32) throws(Errno) {
        // Relaxed: own state.
        guard w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.running else {
            throw .EINVAL
        }
        let (next, ref) = try lookupWorker(tid)
        guard next.raw != w.raw else { throw .EINVAL }
        let claimedFrom = try claim(next, tid: tid)
        let timeoutBit = claimedFrom & UMCGWorkerState.timeoutBit
        let si = w.server.pointee.load(ordering: .relaxed)
        let s = server(Int(si))
        // The server is parked in its CTX_SWITCH and drains its queue only when it returns: workers
        // that keep handing off to each other would fill it. A full queue refuses the handoff
        // (EAGAIN, the caller keeps running) instead of spinning forever.
        guard queues[Int(si)].enqueue(w.id.pointee.load(ordering: .relaxed) | UMCGEventType.wait.rawValue) else {
            // Releasing: hands `next` back as it was; nothing was published.
            next.state.pointee.store(claimedFrom, ordering: .releasing)
            throw .EAGAIN
        }
        // Relaxed: published by the releasing RUNNING store below.
        next.server.pointee.store(si, ordering: .relaxed)
        next.switchedAt.pointee.store(TraceClock.shared.nanos(), ordering: .relaxed)
        s.current.pointee.store(ref, ordering: .relaxed)
        w.deadline.pointee.store(0, ordering: .relaxed)
        // Releasing: pairs with claim's acquiring CAS by a later server.
        w.state.pointee.store(UMCGWorkerState.waiting, ordering: .releasing)
        // Releasing: pairs with next's acquiring load in waitToRun.
        next.state.pointee.store(UMCGWorkerState.running | timeoutBit, ordering: .releasing)
        next.parker.unpark(alwaysWake: alwaysWake)
        try waitToRun(w, deadline: 0, interruptible: true)
    }

    /// Sleeps until a server switched to `w` (RUNNING). Handles the WAIT deadline (posts TIMEOUT once)
    /// and interrupts when `interruptible`.
    func waitToRun(_ w: WorkerBlock, deadline: UInt64, interruptible: Bool) throws(Errno) {
        // Relaxed: placement hint of the server it expects to be picked by.
        let home = w.server.pointee.load(ordering: .relaxed)
        let peer = home == noIndex ? -1 : server(Int(home)).cpu.pointee.load(ordering: .relaxed)
        let spin = spinBudget(own: w.cpu, peerCPU: peer)
        while true {
            // Acquiring: pairs with the server's releasing RUNNING store (serverSwitch / workerSwitch).
            let s = w.state.pointee.load(ordering: .acquiring)
            let base = s & UMCGWorkerState.mask
            if base == UMCGWorkerState.running {
                if s & UMCGWorkerState.timeoutBit != 0 {
                    // Relaxed: own state while RUNNING.
                    w.state.pointee.store(UMCGWorkerState.running, ordering: .relaxed)
                    throw .ETIMEDOUT
                }
                return
            }
            var parkDeadline: UInt64 = 0
            if base == UMCGWorkerState.waiting {
                if interruptible {
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
                if deadline != 0 && s & UMCGWorkerState.timeoutBit == 0 {
                    if deadline == UMCGABI.pollTimeout || SystemClock.realtimeNanos() >= deadline {
                        // AcquiringAndReleasing: races with claim(); exactly one of us wins.
                        if w.state.pointee.compareExchange(
                            expected: s, desired: s | UMCGWorkerState.timeoutBit, ordering: .acquiringAndReleasing
                        ).exchanged {
                            // Relaxed: own id, set at registration.
                            post(
                                w.id.pointee.load(ordering: .relaxed) | UMCGEventType.timeout.rawValue,
                                to: chooseServer(for: w))
                        }
                        continue
                    }
                    parkDeadline = deadline
                }
            }
            _ = w.parker.park(spinNanos: spin, deadline: parkDeadline, yields: yields)
        }
    }

    // MARK: blocking sections and preemption

    /// The calling RUNNING worker enters a blocking section: BLOCK goes to its server (EINVAL otherwise).
    public func enterBlocking() throws(Errno) {
        guard case .worker(let w) = currentRole() else { throw .EINVAL }
        // Relaxed: own state.
        guard w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.running else {
            throw .EINVAL
        }
        let si = w.server.pointee.load(ordering: .relaxed)
        // Releasing: pairs with a server's acquiring loads of the state.
        w.state.pointee.store(UMCGWorkerState.blocked, ordering: .releasing)
        postStop(w, type: .block, server: si)
    }

    /// The calling BLOCKED worker leaves its section: WAKE is queued and it waits to be switched to.
    public func leaveBlocking() throws(Errno) {
        guard case .worker(let w) = currentRole() else { throw .EINVAL }
        // Relaxed: own state.
        guard w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.blocked else {
            throw .EINVAL
        }
        // SequentiallyConsistent: pairs with waitForUnblock's watcher store + state load (Dekker);
        // chooseServer then loads the watcher sequentially consistently.
        w.state.pointee.store(UMCGWorkerState.runnable, ordering: .sequentiallyConsistent)
        let target = chooseServer(for: w)
        post(w.id.pointee.load(ordering: .relaxed) | UMCGEventType.wake.rawValue, to: target)
        try waitToRun(w, deadline: 0, interruptible: false)
    }

    /// Preempts the calling worker when it has run a full slice (PREEMPT, then waits to be picked).
    @discardableResult
    public func checkpoint() throws(Errno) -> Bool {
        guard case .worker(let w) = currentRole() else { return false }
        // Relaxed: own state.
        guard w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.running else {
            return false
        }
        // Relaxed: written by the server before its releasing RUNNING store, which we acquired.
        let since = w.switchedAt.pointee.load(ordering: .relaxed)
        guard TraceClock.shared.nanos() &- since >= options.sliceNanos else { return false }
        let si = w.server.pointee.load(ordering: .relaxed)
        // Releasing: pairs with claim's acquiring CAS.
        w.state.pointee.store(UMCGWorkerState.runnable, ordering: .releasing)
        postStop(w, type: .preempt, server: si)
        try waitToRun(w, deadline: 0, interruptible: false)
        return true
    }

}
