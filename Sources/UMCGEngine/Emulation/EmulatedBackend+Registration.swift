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
            s.lastTarget.pointee.store(0, ordering: .relaxed)
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
        if let observer { observer._withUnsafeGuaranteedRef { $0.serverRegistered(index, tid: tid) } }
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
            w.serverCPU.pointee.store(-1, ordering: .relaxed)
            w.watcher.pointee.store(noIndex, ordering: .relaxed)
            w.deadline.pointee.store(0, ordering: .relaxed)
            guard table.insert(tid, UInt32(index)) else {
                reg.freeWorkers.append(index)
                return .failure(.ENOMEM)
            }
            reg.liveWorkers += 1
            return .success(index)
        }
        let index = try result.get()
        let w = worker(index)
        ThreadSlot.set(w.raw)
        armThreadExit(w)
        if let observer { observer._withUnsafeGuaranteedRef { $0.workerRegistered(index, tid: tid) } }
        postIdle(w, type: .wake)  // IDLE until a server takes the WAKE off the global list
        try waitToRun(w, deadline: 0, interruptible: false)
    }

    /// UNREGISTER from a running worker: EXIT to its server, then a plain thread again.
    func unregisterWorker(_ w: WorkerBlock) throws(Errno) {
        // One CAS out of RUNNING, then the server is read (reentrancy: see `stop(_:as:)`).
        // Releasing: a server that still finds the block sees EXITED (claim's acquiring CAS).
        guard
            w.state.pointee.compareExchange(
                expected: UMCGWorkerState.running, desired: UMCGWorkerState.exited, ordering: .acquiringAndReleasing
            ).exchanged
        else { throw .EINVAL }
        // Relaxed: own fields, stable once out of RUNNING (EXITED cannot be claimed).
        let si = w.server.pointee.load(ordering: .relaxed)
        let tid = w.tid.pointee.load(ordering: .relaxed)
        let index = workerIndex(w)
        if let observer {
            observer._withUnsafeGuaranteedRef {
                $0.workerExited(index, server: si == noIndex ? -1 : Int(si), threadEnded: false)
            }
        }
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

    /// UNREGISTER from a server (or its thread ended). It holds no events (they live on the global
    /// list), so it only stops being woken; the index is freed last, so a new server reusing it does
    /// not inherit this one's idle bit.
    func unregisterServer(_ s: ServerBlock) {
        let index = serverIndex(s)
        // Relaxed: own field, set at registration.
        let tid = s.tid.pointee.load(ordering: .relaxed)
        if let observer { observer._withUnsafeGuaranteedRef { $0.serverUnregistered(index) } }
        // SequentiallyConsistent: UMCG_WAKE and posters must not pick this server any more.
        idleMask.pointee.bitwiseAnd(~(UInt64(1) << UInt64(index)), ordering: .sequentiallyConsistent)
        registry.withLock { reg in
            table.remove(tid)
            // Relaxed: a hint for observers; the index is reused only after the lock below.
            s.registered.pointee.store(0, ordering: .relaxed)
            reg.freeServers.append(index)
            reg.liveServers -= 1
        }
        disarmThreadExit()
        ThreadSlot.set(nil)
    }

    /// Writes the event that ends server `index`'s CTX_SWITCH and wakes it.
    @inline(__always)
    func postStop(_ w: WorkerBlock, type: UMCGEventType, server index: UInt32) {
        guard index != noIndex else { return }
        let s = server(Int(index))
        // Relaxed: own id, set at registration.
        let ev = w.id.pointee.load(ordering: .relaxed) | type.rawValue
        // Our state store is visible first (the post releases).
        s.stopSlot.post(ev, alwaysWake: alwaysWake)
    }
}
