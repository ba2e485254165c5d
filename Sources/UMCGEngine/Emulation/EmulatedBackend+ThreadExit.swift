import Synchronization
import UMCGSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The pthread-key destructor: a registered worker thread that ends without UNREGISTER still
/// produces EXIT (docs/UMCG-ABI.md: "a worker unregistered or its thread ended"), and a server thread
/// that ends without UNREGISTER is unregistered (its queued events go to the other servers).
/// The key's value is the worker or server block; both name their backend (unretained) at offset 56.
let umcgThreadExitDestructor: @convention(c) (UnsafeMutableRawPointer?) -> Void = { raw in
    guard let raw else { return }
    // Relaxed: written at registration by this same thread (`owner` of either block kind).
    let bits = WorkerBlock(raw).owner.pointee.load(ordering: .relaxed)
    guard let ownerPointer = UnsafeMutableRawPointer(bitPattern: UInt(bits)) else { return }
    // SAFETY: a backend outlives the threads registered with it (documented on EmulatedBackend);
    // its deinit deletes the key, after which this destructor no longer runs.
    let backend = Unmanaged<EmulatedBackend>.fromOpaque(ownerPointer).takeUnretainedValue()
    backend.registeredThreadEnded(raw)
}

extension EmulatedBackend {
    /// Makes the thread-exit key (once per backend).
    static func makeExitKey() -> pthread_key_t? {
        var key = pthread_key_t()
        return pthread_key_create(&key, umcgThreadExitDestructor) == 0 ? key : nil
    }

    /// Arms the exit destructor for the calling worker thread.
    func armThreadExit(_ w: WorkerBlock) {
        // Relaxed: read by this thread's destructor only.
        w.owner.pointee.store(UInt64(UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())), ordering: .relaxed)
        if let exitKey { pthread_setspecific(exitKey, w.raw) }
    }

    /// Arms the exit destructor for the calling server thread.
    func armThreadExit(_ s: ServerBlock) {
        // Relaxed: read by this thread's destructor only.
        s.owner.pointee.store(UInt64(UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())), ordering: .relaxed)
        if let exitKey { pthread_setspecific(exitKey, s.raw) }
    }

    /// Disarms it (UNREGISTER).
    func disarmThreadExit() {
        if let exitKey { pthread_setspecific(exitKey, nil) }
    }

    /// The destructor's entry: dispatches on the slab the block lies in.
    func registeredThreadEnded(_ raw: UnsafeMutableRawPointer) {
        let a = UInt(bitPattern: raw)
        if a >= UInt(bitPattern: workerSlab) && a < workerSlabEnd {
            workerThreadEnded(WorkerBlock(raw))
        } else if a >= UInt(bitPattern: serverSlab) && a < serverSlabEnd {
            unregisterServer(ServerBlock(raw))
        }
    }

    /// A registered worker's thread ended without UNREGISTER: EXIT goes to its server (the stop slot
    /// when it was running, the global list otherwise) and the block is released.
    func workerThreadEnded(_ w: WorkerBlock) {
        var posted = false
        while !posted {
            // Acquiring: pairs with the releasing state stores of servers (claim/publish).
            let s = w.state.pointee.load(ordering: .acquiring)
            let base = s & UMCGWorkerState.mask
            switch base {
            case UMCGWorkerState.running:
                // Relaxed: own field, stable while RUNNING.
                let si = w.server.pointee.load(ordering: .relaxed)
                // Releasing: servers that still find the block see EXITED.
                w.state.pointee.store(UMCGWorkerState.exited, ordering: .releasing)
                if let observer {
                    observer._withUnsafeGuaranteedRef {
                        $0.workerExited(workerIndex(w), server: Int(si), threadEnded: true)
                    }
                }
                releaseTid(w)
                postStop(w, type: .exit, server: si)
                posted = true
            case UMCGWorkerState.blocked, UMCGWorkerState.waiting, UMCGWorkerState.runnable, UMCGWorkerState.idle,
                WorkerBlock.interrupted:
                // AcquiringAndReleasing: races with claim(); if a server wins we retry as RUNNING.
                if w.state.pointee.compareExchange(
                    expected: s, desired: UMCGWorkerState.exited, ordering: .acquiringAndReleasing
                ).exchanged {
                    if let observer {
                        observer._withUnsafeGuaranteedRef {
                            $0.workerExited(workerIndex(w), server: -1, threadEnded: true)
                        }
                    }
                    releaseTid(w)
                    // Relaxed: own id, set at registration.
                    postExit(id: w.id.pointee.load(ordering: .relaxed))
                    posted = true
                }
            case WorkerBlock.switching:
                CPU.yield()  // a server is publishing RUNNING; it takes nanoseconds
            default:
                return  // already exited
            }
        }
        let index = workerIndex(w)
        registry.withLock { reg in
            reg.freeWorkers.append(index)
            reg.liveWorkers -= 1
        }
        ThreadSlot.set(nil)
    }

    func releaseTid(_ w: WorkerBlock) {
        // Relaxed: set at registration, before the table published the block.
        let tid = w.tid.pointee.load(ordering: .relaxed)
        registry.withLock { _ in table.remove(tid) }
    }
}
