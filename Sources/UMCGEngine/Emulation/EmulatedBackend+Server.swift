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

    /// Moves worker `tid` (block `w`, found by `lookupWorker`) from IDLE/RUNNABLE/WAITING to the
    /// transient `switching` state (EINVAL otherwise) and returns the state it had.
    /// The lookup and the claim are not one atomic step: the worker may have exited and its block been
    /// reused by another thread meanwhile, so the tid is checked again once the block is ours (ESRCH).
    @inline(__always)
    func claim(_ w: WorkerBlock, tid: Int32) throws(Errno) -> UInt32 {
        let old = try claim(w)
        // Relaxed: registration writes the tid before its releasing IDLE store, which the claim acquired.
        guard w.tid.pointee.load(ordering: .relaxed) == tid else {
            // Releasing: hands the block back to its new owner as it was.
            w.state.pointee.store(old, ordering: .releasing)
            throw .ESRCH
        }
        return old
    }

    /// Moves a worker from IDLE/RUNNABLE/WAITING to the transient `switching` state (EINVAL otherwise).
    /// Returns the state it had.
    @inline(__always)
    func claim(_ w: WorkerBlock) throws(Errno) -> UInt32 {
        // Relaxed: the CAS below re-checks.
        var s = w.state.pointee.load(ordering: .relaxed)
        while true {
            let base = s & UMCGWorkerState.mask
            guard base == UMCGWorkerState.idle || base == UMCGWorkerState.runnable || base == UMCGWorkerState.waiting
            else { throw .EINVAL }
            // AcquiringAndReleasing: acquires the worker's releasing store of WAITING/RUNNABLE; other
            // claimers see `switching` and fail.
            let (done, current) = w.state.pointee.compareExchange(
                expected: s, desired: WorkerBlock.switching, ordering: .acquiringAndReleasing)
            if done { return s }
            s = current
        }
    }

    /// Server CTX_SWITCH: run the worker until it blocks, waits, exits or is preempted.
    func serverSwitch(
        _ s: ServerBlock, to tid: Int32, events: UnsafeMutablePointer<UInt64>?, count: Int32
    ) throws(Errno) {
        guard let events else { throw .EFAULT }
        guard count >= 1 else { throw .EINVAL }
        let (w, ref) = try lookupWorker(tid)
        let timeoutBit = try claim(w, tid: tid) & UMCGWorkerState.timeoutBit
        let si = UInt32(serverIndex(s))
        // Relaxed: published by the releasing RUNNING store below.
        w.server.pointee.store(si, ordering: .relaxed)
        w.switchedAt.pointee.store(TraceClock.shared.nanos(), ordering: .relaxed)
        s.current.pointee.store(ref, ordering: .relaxed)
        s.stopEvent.pointee.store(0, ordering: .relaxed)
        // Releasing: pairs with the worker's acquiring load in waitToRun; it sees the fields above.
        w.state.pointee.store(UMCGWorkerState.running | timeoutBit, ordering: .releasing)
        w.parker.unpark(alwaysWake: alwaysWake)
        // Relaxed: a placement hint.
        let spin = spinBudget(own: s.cpu, peerCPU: w.cpu.pointee.load(ordering: .relaxed))
        var ev: UInt64
        while true {
            // Acquiring: pairs with postStop's releasing store.
            ev = s.stopEvent.pointee.load(ordering: .acquiring)
            if ev != 0 { break }
            _ = s.parker.park(spinNanos: spin, yields: yields)
        }
        // Relaxed: a statistic for observers.
        s.current.pointee.store(noIndex, ordering: .relaxed)
        events[0] = ev
        _ = fill(events, from: 1, count: count, server: Int(si))
    }

    /// Copies pending events of server `index` (then orphans) into `events[from..<count]`, ends with 0
    /// when there is room, and returns how many were copied.
    @inline(__always)
    func fill(_ events: UnsafeMutablePointer<UInt64>, from: Int32, count: Int32, server index: Int) -> Int {
        var i = Int(from)
        let n = Int(count)
        let q = queues[index]
        while i < n {
            if let ev = q.dequeue() {
                events[i] = ev
            } else if let ev = orphans.dequeue() {
                events[i] = ev
            } else {
                break
            }
            i += 1
        }
        if i < n { events[i] = 0 }
        return i - Int(from)
    }

    /// An idle server with nothing queued takes the events queued for busy servers (registered, not
    /// listening: running a worker or plain code), the emulation's stand-in for the klib's one global
    /// list. Servers that listen (idle or watching a worker) drain their own queues. Off the switch
    /// path: only an idle WAIT that found nothing of its own steals. Ends with 0 when there is room.
    func steal(_ events: UnsafeMutablePointer<UInt64>, count: Int32, thief: Int) -> Int {
        var i = 0
        let n = Int(count)
        for k in 1..<maxServers where i < n {
            let victim = (thief + k) % maxServers
            let v = server(victim)
            // Relaxed: hints; a wrong guess only leaves events for their own server.
            guard v.registered.pointee.load(ordering: .relaxed) != 0,
                v.listening.pointee.load(ordering: .relaxed) == 0
            else { continue }
            let q = queues[victim]
            while i < n, let ev = q.dequeue() {
                events[i] = ev
                i += 1
            }
        }
        if i > 0 && i < n { events[i] = 0 }
        return i
    }

    /// Server WAIT: events (next_tid == 0) or a worker's unblocking (next_tid != 0).
    func serverWait(
        _ s: ServerBlock, nextTid: Int32, deadline: UInt64, events: UnsafeMutablePointer<UInt64>?, count: Int32
    ) throws(Errno) {
        if nextTid != 0 {
            try waitForUnblock(s, tid: nextTid, deadline: deadline, events: events, count: count)
            return
        }
        guard let events else { throw .EFAULT }
        guard count >= 1 else { throw .EINVAL }
        let si = serverIndex(s)
        if deadline == UMCGABI.pollTimeout {
            if fill(events, from: 0, count: count, server: si) > 0 { return }
            if steal(events, count: count, thief: si) > 0 { return }
            if consumePoke(s) { return }
            throw .ETIMEDOUT
        }
        let bit = UInt64(1) << UInt64(si)
        // SequentiallyConsistent: UMCG_WAKE and chooseServer read the mask.
        idleMask.pointee.bitwiseOr(bit, ordering: .sequentiallyConsistent)
        // SequentiallyConsistent + fence: pairs with post()'s enqueue-fence-load of `listening`.
        s.listening.pointee.store(1, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        defer {
            // Relaxed: only this thread sets it; a late post just unparks us spuriously.
            s.listening.pointee.store(0, ordering: .relaxed)
            // SequentiallyConsistent: UMCG_WAKE stops picking us.
            idleMask.pointee.bitwiseAnd(~bit, ordering: .sequentiallyConsistent)
        }
        while true {
            if fill(events, from: 0, count: count, server: si) > 0 { return }
            if steal(events, count: count, thief: si) > 0 { return }
            if consumePoke(s) { return }
            if consumeInterrupt(s) { throw .EINTR }
            if deadline != 0 && SystemClock.realtimeNanos() >= deadline { throw .ETIMEDOUT }
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

    /// Server WAIT(next_tid): returns once that worker is no longer BLOCKED; pending events are copied
    /// into `events` when given (the worker's WAKE is routed to this server while it watches).
    func waitForUnblock(
        _ s: ServerBlock, tid: Int32, deadline: UInt64, events: UnsafeMutablePointer<UInt64>?, count: Int32
    ) throws(Errno) {
        let (w, _) = try lookupWorker(tid)
        let si = UInt32(serverIndex(s))
        func isBlocked() -> Bool {
            // SequentiallyConsistent: pairs with leaveBlocking's state store (Dekker with `watcher`).
            w.state.pointee.load(ordering: .sequentiallyConsistent) & UMCGWorkerState.mask == UMCGWorkerState.blocked
        }
        if isBlocked() {
            // SequentiallyConsistent: pairs with chooseServer's watcher load after the worker's state store.
            w.watcher.pointee.store(si, ordering: .sequentiallyConsistent)
            s.listening.pointee.store(1, ordering: .sequentiallyConsistent)
            defer {
                // Relaxed: best effort; the worker exchanges it away when it leaves the section.
                _ = w.watcher.pointee.compareExchange(expected: si, desired: noIndex, ordering: .relaxed)
                s.listening.pointee.store(0, ordering: .relaxed)
            }
            while isBlocked() {
                if consumeInterrupt(s) { throw .EINTR }
                if deadline == UMCGABI.pollTimeout || (deadline != 0 && SystemClock.realtimeNanos() >= deadline) {
                    throw .ETIMEDOUT
                }
                _ = s.parker.park(spinNanos: 0, deadline: deadline)
            }
        }
        if let events, count >= 1 { _ = fill(events, from: 0, count: count, server: Int(si)) }
    }

    /// UMCG_WAKE: wakes one idle server, EAGAIN when none is idle.
    func wakeIdleServer() throws(Errno) {
        // SequentiallyConsistent: pairs with serverWait's mask update.
        var mask = idleMask.pointee.load(ordering: .sequentiallyConsistent)
        while mask != 0 {
            let s = server(mask.trailingZeroBitCount)
            if s.listening.pointee.load(ordering: .sequentiallyConsistent) != 0 {
                // Releasing: pairs with consumePoke.
                s.flags.pointee.bitwiseOr(ServerBlock.flagPoked, ordering: .releasing)
                s.parker.unpark(alwaysWake: alwaysWake)
                return
            }
            mask &= mask &- 1
        }
        throw .EAGAIN
    }
}
