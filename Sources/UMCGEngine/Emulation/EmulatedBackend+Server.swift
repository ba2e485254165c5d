import Synchronization
import UMCGSystem

extension EmulatedBackend {
    /// Looks up a worker by tid: ESRCH when unknown, EINVAL when it is a server.
    @inline(__always)
    func lookupWorker(_ tid: Int32) throws(Errno) -> (WorkerBlock, UInt32) {
        guard let ref = table.lookup(tid) else { throw .ESRCH }
        guard ref & Self.serverRefBit == 0 else { throw .EINVAL }
        return (worker(Int(ref)), ref)
    }

    /// Loads worker `tid`'s control block (both lines) ahead of a CTX_SWITCH to it.
    public func prefetch(worker tid: Int32) {
        guard let ref = table.lookup(tid), ref & Self.serverRefBit == 0, Int(ref) < options.maxWorkers else { return }
        let p = workerSlab + Int(ref) * WorkerBlock.size
        CPU.prefetch(p)
        CPU.prefetch(p + 64)
    }

    /// Moves worker `tid` (block `w`, found by `lookupWorker`) from RUNNABLE (or WAITING when
    /// `orWaiting`) to the transient `switching` state (EINVAL otherwise: IDLE until its event is taken,
    /// RUNNING, BLOCKED, …) and returns the state it had.
    /// The lookup and the claim are not one atomic step: the worker may have exited and its block been
    /// reused by another thread meanwhile, so the tid is checked again once the block is ours (ESRCH).
    @inline(__always)
    func claim(_ w: WorkerBlock, tid: Int32, orWaiting: Bool = true) throws(Errno) -> UInt32 {
        let old = try claim(w, orWaiting: orWaiting)
        // Relaxed: registration writes the tid before its releasing IDLE store, which the claim acquired.
        guard w.tid.pointee.load(ordering: .relaxed) == tid else {
            // Releasing: hands the block back to its new owner as it was.
            w.state.pointee.store(old, ordering: .releasing)
            throw .ESRCH
        }
        return old
    }

    /// Moves a worker from RUNNABLE (or WAITING when `orWaiting`: the server form of CTX_SWITCH) to the
    /// transient `switching` state (EINVAL otherwise). Returns the state it had.
    /// The first access is the CAS itself, expecting the likely state (WAITING, or RUNNABLE): a read
    /// first would fetch the line shared and the CAS fetch it again exclusive, two trips to the worker's
    /// CPU instead of one; a CAS that guessed wrong leaves the line here, and the retry is local.
    /// A worker another claimer holds in `switching` is waited out: that claimer publishes RUNNING
    /// (EINVAL here, as before) or hands the block back (a stale target, see `claim(_:tid:)`), so a
    /// claim that did not stick never makes a concurrent one fail.
    @inline(__always)
    func claim(_ w: WorkerBlock, orWaiting: Bool = true) throws(Errno) -> UInt32 {
        var s = orWaiting ? UMCGWorkerState.waiting : UMCGWorkerState.runnable
        var waited = 0
        while true {
            // SequentiallyConsistent: acquires the releasing store of WAITING/RUNNABLE, other claimers
            // see `switching` and wait; and it comes before publishRunning's look at the worker's
            // park word in the total order (the worker's sleep pairs with it: `Parker.park(…begun:)`).
            let (done, current) = w.state.pointee.compareExchange(
                expected: s, desired: WorkerBlock.switching, ordering: .sequentiallyConsistent)
            if done { return s }
            s = current
            while s & UMCGWorkerState.mask == WorkerBlock.switching {
                waited &+= 1
                // The other claimer's stores take nanoseconds, unless it lost its CPU (maybe to us).
                if waited & 63 == 0 { CPU.yield() } else { CPU.relax() }
                // Relaxed: the CAS above re-checks.
                s = w.state.pointee.load(ordering: .relaxed)
            }
            let base = s & UMCGWorkerState.mask
            guard base == UMCGWorkerState.runnable || (orWaiting && base == UMCGWorkerState.waiting) else {
                throw .EINVAL
            }
        }
    }

    /// The lookup, argument and state checks of a server CTX_SWITCH, in the klib's order (see
    /// `serverSwitch`); on success the worker is claimed (`switching`) and its previous state returned.
    /// A server switching to the worker it switched to last (the ping-pong, a server running one
    /// worker) skips the tid table: its `lastTarget` names the block, and the claim's tid re-check
    /// proves the block still belongs to `tid`. Any failure on that path is decided again by the full
    /// lookup, so the errors are those of the table (a stale hint only costs the retry).
    @inline(__always)
    func claimTarget(
        _ s: ServerBlock, tid: Int32, deadline: UInt64, count: Int32
    ) throws(Errno) -> (WorkerBlock, UInt32, UInt32) {
        // Relaxed: own thread's hint.
        let hint = s.lastTarget.pointee.load(ordering: .relaxed)
        if hint != 0, UInt32(truncatingIfNeeded: hint >> 32) == UInt32(bitPattern: tid), deadline == 0, count >= 1 {
            let ref = UInt32(truncatingIfNeeded: hint)
            let w = worker(Int(ref))
            // No look at the tid first (see `claim`): a stale hint claims another thread's block for a
            // moment, which its own claimers wait out, and hands it back.
            if let claimed = try? claim(w, tid: tid) {
                return (w, ref, claimed)
            }
        }
        let (w, ref) = try lookupWorker(tid)
        guard deadline == 0, count >= 1 else { throw .EINVAL }
        let claimed = try claim(w, tid: tid)
        // Relaxed: own thread's hint.
        s.lastTarget.pointee.store(UInt64(UInt32(bitPattern: tid)) << 32 | UInt64(ref), ordering: .relaxed)
        return (w, ref, claimed)
    }

    /// Server CTX_SWITCH: run the worker until it blocks, waits, exits or is preempted. The klib's
    /// order: the thread lookup (ESRCH, EINVAL for a non-worker), the arguments (abs_timeout must be 0,
    /// event_sz >= 1), the target's state (RUNNABLE or WAITING); the buffer last, as the klib finds
    /// out: the worker runs, and a stop event that cannot be written is lost and the call fails
    /// EFAULT (a program that switches with a bad buffer still sees its worker run and exit).
    func serverSwitch(
        _ s: ServerBlock, to tid: Int32, deadline: UInt64, events: UnsafeMutablePointer<UInt64>?, count: Int32
    ) throws(Errno) {
        // Read before the claim: from the claim to RUNNING the worker's line is ours, and the stores
        // into it go back to back (the worker spinning on it takes it back between any two).
        let startedAt = clockNow()
        let stop = s.stopSlot
        // Before the publication: the worker posts its stop after it.
        let mark = stop.mark()
        let (w, ref, claimed) = try claimTarget(s, tid: tid, deadline: deadline, count: count)
        let si = UInt32(serverIndex(s))
        let peerCPU = publishRunning(w, ref: ref, claimed: claimed, on: s, index: si, startedAt: startedAt)
        let spin = spinBudget(own: s.cpu, peerCPU: peerCPU)
        let ev = stop.await(after: mark, spinNanos: spin, yields: parkYields(spin: spin), counting: s.parker)
        // Relaxed: a statistic for observers.
        s.current.pointee.store(noIndex, ordering: .relaxed)
        // The stop event is the call's first write: like the klib, a bad buffer loses it (EFAULT).
        guard let events, writable(events, server: s) else {
            if let observer {
                observer._withUnsafeGuaranteedRef {
                    $0.serverSwitched(Int(si), worker: Int(ref), startedAt: startedAt, events: 0)
                }
            }
            throw .EFAULT
        }
        events[0] = ev
        // Slot 0 was written: a bad later slot only ends the copy.
        let drained = (try? drain(events, from: 1, count: Int(count), server: s)) ?? 0
        if let observer {
            observer._withUnsafeGuaranteedRef {
                $0.serverSwitched(Int(si), worker: Int(ref), startedAt: startedAt, events: 1 + drained)
            }
        }
    }

    /// Makes the claimed worker `w` (index `ref`; `claimed` the state its claim found) run on server
    /// `s` (index `si`), its slice starting at `startedAt`: the worker names the server and its CPU
    /// (the worker's spin hint), the server names the worker, and RUNNING (with the TIMEOUT bit the
    /// claim found) publishes all of it. Every site that switches to a worker ends here: the stores
    /// into the worker's line go back to back, since the worker spins on that line and takes it back
    /// between any two that something else separates. The worker is unparked only when it announced
    /// sleep before the claim (or in `.futex` mode, which always calls FUTEX_WAKE): a worker that spins
    /// sees RUNNING on its state, and one that announces sleep after the claim sees `switching` and
    /// stays awake (`Parker.park(…begun:)`), so the exchange on its line (a locked instruction that
    /// waits for the line the worker keeps reading) is saved on the hot path. Returns the CPU the
    /// worker last ran on, read while the line is ours (a placement hint).
    @discardableResult
    @inline(__always)
    func publishRunning(
        _ w: WorkerBlock, ref: UInt32, claimed: UInt32, on s: ServerBlock, index si: UInt32, startedAt: UInt64
    ) -> Int32 {
        // After the claim's sequentially consistent CAS (see Parker.asleep()).
        let asleep = w.parker.asleep()
        // Relaxed: a placement hint.
        let peerCPU = w.cpu.pointee.load(ordering: .relaxed)
        // Relaxed: published by the releasing RUNNING store below.
        w.server.pointee.store(si, ordering: .relaxed)
        w.switchedAt.pointee.store(startedAt, ordering: .relaxed)
        w.serverCPU.pointee.store(s.cpu.pointee.load(ordering: .relaxed), ordering: .relaxed)
        s.current.pointee.store(ref, ordering: .relaxed)
        // Releasing: pairs with the worker's acquiring load in waitToRun; it sees the fields above.
        w.state.pointee.store(UMCGWorkerState.running | claimed & UMCGWorkerState.timeoutBit, ordering: .releasing)
        if asleep || alwaysWake { w.parker.unpark(alwaysWake: alwaysWake) }
        return peerCPU
    }

    /// Server WAIT: events (next_tid == 0) or a worker's unblocking (next_tid != 0), with the klib's
    /// argument rules: WAIT(next_tid) takes no abs_timeout, events or event_sz; WAIT for events needs
    /// event_sz >= 2; abs_timeout 1 polls; a NULL or unwritable buffer blocks like any other and fails
    /// EFAULT once there is an event to write (the event stays on the list).
    func serverWait(
        _ s: ServerBlock, nextTid: Int32, deadline: UInt64, events: UnsafeMutablePointer<UInt64>?, count: Int32
    ) throws(Errno) {
        if nextTid != 0 {
            guard deadline == 0, events == nil, count == 0 else { throw .EINVAL }
            try waitForUnblock(s, tid: nextTid)
            return
        }
        guard count >= 2 else { throw .EINVAL }
        if deadline == UMCGABI.pollTimeout {
            let n = try drain(events, from: 0, count: Int(count), server: s)
            if let observer {
                observer._withUnsafeGuaranteedRef { $0.serverWaitEnded(serverIndex(s), events: n, slept: false) }
            }
            if n > 0 { return }
            throw .ETIMEDOUT
        }
        let si = serverIndex(s)
        let bit = UInt64(1) << UInt64(si)
        var slept = false
        var written = 0
        defer {
            // SequentiallyConsistent: posters and UMCG_WAKE stop picking us.
            idleMask.pointee.bitwiseAnd(~bit, ordering: .sequentiallyConsistent)
            if let observer {
                observer._withUnsafeGuaranteedRef { $0.serverWaitEnded(si, events: written, slept: slept) }
            }
        }
        while true {
            // SequentiallyConsistent + fence: pairs with wakeOneIdleServer's fence + mask load after a
            // poster's enqueue (one of us sees the other). Set again after each wake-up: the waker cleared it.
            idleMask.pointee.bitwiseOr(bit, ordering: .sequentiallyConsistent)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            written = try drain(events, from: 0, count: Int(count), server: s)
            if written > 0 {
                // The buffer filled and entries remain: pass the wake-up on (a poster may have woken us only).
                idleMask.pointee.bitwiseAnd(~bit, ordering: .sequentiallyConsistent)
                if list.peek() != nil { _ = wakeOneIdleServer(poke: false) }
                return
            }
            if consumePoke(s) { return }
            if consumeInterrupt(s) { throw .EINTR }
            if deadline != 0 && SystemClock.realtimeNanos() >= deadline { throw .ETIMEDOUT }
            if !slept, let observer {
                slept = true
                observer._withUnsafeGuaranteedRef { $0.serverIdle(si) }
            }
            _ = s.parker.park(spinNanos: 0, deadline: deadline)
        }
    }

    @inline(__always)
    func consumePoke(_ s: ServerBlock) -> Bool {
        // AcquiringAndReleasing: consumes UMCG_WAKE's releasing bitwiseOr.
        let old = s.flags.pointee.bitwiseAnd(~ServerBlock.flagPoked, ordering: .acquiringAndReleasing).oldValue
        return old & ServerBlock.flagPoked != 0
    }

    @inline(__always)
    func consumeInterrupt(_ s: ServerBlock) -> Bool {
        // AcquiringAndReleasing: consumes interrupt()'s bitwiseOr.
        let old = s.flags.pointee.bitwiseAnd(~ServerBlock.flagInterrupt, ordering: .acquiringAndReleasing).oldValue
        return old & ServerBlock.flagInterrupt != 0
    }

    /// Server WAIT(next_tid): returns once that worker is no longer BLOCKED (the klib's
    /// `server_bq`: the worker leaving its blocking section unparks the watcher; its WAKE still goes to
    /// the global list).
    func waitForUnblock(_ s: ServerBlock, tid: Int32) throws(Errno) {
        let (w, _) = try lookupWorker(tid)
        let si = UInt32(serverIndex(s))
        func isBlocked() -> Bool {
            // SequentiallyConsistent: pairs with leaveBlocking's state CAS (Dekker with `watcher`).
            w.state.pointee.load(ordering: .sequentiallyConsistent) & UMCGWorkerState.mask == UMCGWorkerState.blocked
        }
        guard isBlocked() else { return }
        // SequentiallyConsistent: pairs with leaveBlocking's watcher load after its state CAS.
        w.watcher.pointee.store(si, ordering: .sequentiallyConsistent)
        s.listening.pointee.store(1, ordering: .relaxed)
        defer {
            // Relaxed: best effort; the worker exchanges it away when it leaves the section.
            _ = w.watcher.pointee.compareExchange(expected: si, desired: noIndex, ordering: .relaxed)
            s.listening.pointee.store(0, ordering: .relaxed)
        }
        while isBlocked() {
            if consumeInterrupt(s) { throw .EINTR }
            _ = s.parker.park(spinNanos: 0)
        }
    }

    /// UMCG_WAKE: wakes one idle server (its WAIT returns 0 with no events), EAGAIN when none is idle.
    func wakeIdleServer() throws(Errno) {
        guard wakeOneIdleServer(poke: true) else { throw .EAGAIN }
    }
}
