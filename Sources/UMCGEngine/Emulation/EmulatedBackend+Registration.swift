import Synchronization
import UMCGSystem

extension EmulatedBackend {
    /// REGISTER_SERVER (also done lazily when a plain thread first acts as a server).
    func registerServer() throws(Errno) -> ServerBlock {
        let tid = ThreadID.current()
        let result: Result<Int, Errno> = registry.withLock { reg in
            if table.lookup(tid) != nil { return .failure(.EINVAL) }
            guard let index = reg.freeServers.popLast() else { return .failure(.ENOMEM) }
            let s = server(index)
            // Relaxed: the block is published by the table's releasing insert below.
            s.listening.pointee.store(0, ordering: .relaxed)
            s.current.pointee.store(noIndex, ordering: .relaxed)
            s.tid.pointee.store(tid, ordering: .relaxed)
            s.cpu.pointee.store(CPU.current(), ordering: .relaxed)
            s.flags.pointee.store(0, ordering: .relaxed)
            s.stopEvent.pointee.store(0, ordering: .relaxed)
            s.parker.word.pointee.store(0, ordering: .relaxed)
            // Relaxed: read by chooseServer as a hint; the table insert publishes.
            s.registered.pointee.store(1, ordering: .relaxed)
            guard table.insert(tid, Self.serverRefBit | UInt32(index)) else {
                s.registered.pointee.store(0, ordering: .relaxed)
                reg.freeServers.append(index)
                return .failure(.ENOMEM)
            }
            reg.liveServers += 1
            return .success(index)
        }
        let index = try result.get()
        let s = server(index)
        ThreadSlot.set(s.raw)
        armThreadExit(s)
        return s
    }

    /// REGISTER_WORKER: id in the abs_timeout slot, low 5 bits 0 (id 0 is allowed, as in the klib).
    /// Returns once a server switched to it.
    func registerWorker(id: UInt64) throws(Errno) {
        guard id & UMCGABI.eventTypeMask == 0 else { throw .EINVAL }
        let tid = ThreadID.current()
        let result: Result<Int, Errno> = registry.withLock { reg in
            if table.lookup(tid) != nil { return .failure(.EINVAL) }
            guard reg.freeWorkersHead < reg.freeWorkers.count else { return .failure(.ENOMEM) }
            let index = reg.freeWorkers[reg.freeWorkersHead]
            reg.freeWorkersHead += 1
            if reg.freeWorkersHead > 1024 && reg.freeWorkersHead * 2 > reg.freeWorkers.count {
                reg.freeWorkers.removeFirst(reg.freeWorkersHead)
                reg.freeWorkersHead = 0
            }
            let w = worker(index)
            // Relaxed: the block is published by the table's releasing insert below.
            w.parker.word.pointee.store(0, ordering: .relaxed)
            w.server.pointee.store(noIndex, ordering: .relaxed)
            w.tid.pointee.store(tid, ordering: .relaxed)
            // Releasing: a server that looked the old tid up and claims the reused block sees this
            // tid (claim(_:tid:) re-checks it).
            w.state.pointee.store(UMCGWorkerState.idle, ordering: .releasing)
            w.id.pointee.store(id, ordering: .relaxed)
            w.switchedAt.pointee.store(0, ordering: .relaxed)
            w.flags.pointee.store(0, ordering: .relaxed)
            w.cpu.pointee.store(CPU.current(), ordering: .relaxed)
            w.watcher.pointee.store(noIndex, ordering: .relaxed)
            w.deadline.pointee.store(0, ordering: .relaxed)
            guard table.insert(tid, UInt32(index)) else {
                reg.freeWorkers.append(index)
                return .failure(.ENOMEM)
            }
            reg.liveWorkers += 1
            return .success(index)
        }
        let w = worker(try result.get())
        ThreadSlot.set(w.raw)
        armThreadExit(w)
        post(UMCGEvent(workerID: id, type: .wake).rawValue, to: chooseServer(for: w))
        try waitToRun(w, deadline: 0, interruptible: false)
    }

    /// UNREGISTER from a running worker: EXIT to its server, then a plain thread again.
    func unregisterWorker(_ w: WorkerBlock) throws(Errno) {
        // Relaxed: only this thread moves its own state out of RUNNING.
        guard w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask == UMCGWorkerState.running else {
            throw .EINVAL
        }
        // Relaxed: own fields, stable while RUNNING.
        let si = w.server.pointee.load(ordering: .relaxed)
        let tid = w.tid.pointee.load(ordering: .relaxed)
        let index = workerIndex(w)
        // Releasing: a server that still finds the block sees EXITED (claim's acquiring CAS).
        w.state.pointee.store(UMCGWorkerState.exited, ordering: .releasing)
        // Gone from the table before EXIT is posted (a server that got EXIT then sees ESRCH), but the
        // slot is recycled only after postStop has read the block.
        registry.withLock { _ in table.remove(tid) }
        postStop(w, type: .exit, server: si)
        registry.withLock { reg in
            reg.freeWorkers.append(index)
            reg.liveWorkers -= 1
        }
        disarmThreadExit()
        ThreadSlot.set(nil)
    }

    /// UNREGISTER from a server (or its thread ended): its queued events move to the orphan queue for
    /// the other servers. The index is freed last: a new server reusing it must not inherit the idle
    /// bit or events of this one.
    func unregisterServer(_ s: ServerBlock) {
        let index = serverIndex(s)
        // Relaxed: own field, set at registration.
        let tid = s.tid.pointee.load(ordering: .relaxed)
        // SequentiallyConsistent: UMCG_WAKE and chooseServer must not pick this server any more.
        idleMask.pointee.bitwiseAnd(~(UInt64(1) << UInt64(index)), ordering: .sequentiallyConsistent)
        registry.withLock { _ in
            table.remove(tid)
            // SequentiallyConsistent: pairs with post()'s check of `registered` after its enqueue.
            s.registered.pointee.store(0, ordering: .sequentiallyConsistent)
        }
        rehome(queue: queues[index])
        registry.withLock { reg in
            reg.freeServers.append(index)
            reg.liveServers -= 1
        }
        disarmThreadExit()
        ThreadSlot.set(nil)
    }

    /// Moves every event of a dead server's queue to the orphan queue and nudges listening servers.
    func rehome(queue: EventQueue) {
        var moved = false
        while let ev = queue.dequeue() {
            orphans.enqueueWaiting(ev)
            moved = true
        }
        if moved { nudgeListeningServers() }
    }

    /// Unparks every registered server that waits for events (rare paths only: orphans).
    func nudgeListeningServers() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        for i in 0..<maxServers {
            let s = server(i)
            // SequentiallyConsistent: pairs with the server's listening store + fence before it checks queues.
            if s.registered.pointee.load(ordering: .sequentiallyConsistent) != 0,
                s.listening.pointee.load(ordering: .sequentiallyConsistent) != 0
            {
                s.parker.unpark(alwaysWake: alwaysWake)
            }
        }
    }

    /// The server a WAKE or TIMEOUT of `w` goes to: a server waiting on it, else its last server when
    /// that one is idle, else any idle server, else its last server, else round-robin. `noIndex` when
    /// no server is registered (the event then waits in the orphan queue).
    @inline(__always)
    func chooseServer(for w: WorkerBlock) -> UInt32 {
        // SequentiallyConsistent: pairs with a server's watcher store in WAIT(next_tid).
        let watcher = w.watcher.pointee.load(ordering: .sequentiallyConsistent)
        if watcher != noIndex { return watcher }
        // Relaxed: hints; a wrong choice only costs latency.
        let home = w.server.pointee.load(ordering: .relaxed)
        let mask = idleMask.pointee.load(ordering: .relaxed)
        if home != noIndex, mask & (UInt64(1) << UInt64(home)) != 0 { return home }
        if mask != 0 { return UInt32(mask.trailingZeroBitCount) }
        if home != noIndex, server(Int(home)).registered.pointee.load(ordering: .relaxed) != 0 { return home }
        // Relaxed: a ticket for spreading load.
        let start = Int(truncatingIfNeeded: roundRobin.pointee.add(1, ordering: .relaxed).oldValue % UInt64(maxServers))
        for k in 0..<maxServers {
            let i = (start &+ k) % maxServers
            if server(i).registered.pointee.load(ordering: .relaxed) != 0 { return UInt32(i) }
        }
        return noIndex
    }

    /// Queues `event` for server `index` (or the orphan queue) and wakes it if it listens.
    @inline(__always)
    func post(_ event: UInt64, to index: UInt32) {
        if index == noIndex {
            orphans.enqueueWaiting(event)
            nudgeListeningServers()
            return
        }
        let s = server(Int(index))
        queues[Int(index)].enqueueWaiting(event)
        // SequentiallyConsistent fence: the enqueue above and the load below against the server's
        // listening store + fence + queue check (store-fence-load on both sides: one sees the other).
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if s.listening.pointee.load(ordering: .relaxed) != 0 {
            s.parker.unpark(alwaysWake: alwaysWake)
        }
        // Relaxed after the fence above: pairs with unregisterServer's store, which rehomes afterwards.
        if s.registered.pointee.load(ordering: .relaxed) == 0 {
            rehome(queue: queues[Int(index)])
        }
    }

    /// Writes the event that ends server `index`'s CTX_SWITCH and wakes it.
    @inline(__always)
    func postStop(_ w: WorkerBlock, type: UMCGEventType, server index: UInt32) {
        guard index != noIndex else { return }
        let s = server(Int(index))
        // Relaxed: own id, set at registration.
        let ev = w.id.pointee.load(ordering: .relaxed) | type.rawValue
        // Releasing: pairs with the server's acquiring load in serverSwitch; our state store is visible first.
        s.stopEvent.pointee.store(ev, ordering: .releasing)
        s.parker.unpark(alwaysWake: alwaysWake)
    }
}
