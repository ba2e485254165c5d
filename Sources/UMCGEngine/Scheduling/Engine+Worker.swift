import UMCGSystem
import UMCGTrace

extension Engine {
    /// A worker thread: register, run the workload until stop, unregister (EXIT).
    func runWorker(_ w: Int) {
        let tid = ThreadID.current()
        workerRows.set(w, WorkerField.tid, UInt64(UInt32(bitPattern: tid)))
        reached(.publishedTid)
        let id = UInt64(w + 1) << UMCGABI.workerIDShift
        do throws(Errno) {
            try backend.ctl(.registerWorker, absTimeout: id)
        } catch {
            workerRows.set(w, WorkerField.failed, 1)
            // Relaxed: a statistic read after joins.
            failures.add(1, ordering: .relaxed)
            return
        }
        // glibc's string functions leave AVX-512 registers in use, and the kernel then saves and
        // restores 2.5 KB of vector state per switch of this thread instead of about 600 bytes.
        CPU.resetVectorState()
        let top = stackPool.map { UInt(bitPattern: $0.stack(w).baseAddress) + UInt($0.stackBytes) }
        // System stacks: the frames above this one (thread start, closure) fit in 1 KiB.
        workerRows.set(w, WorkerField.stackTop, UInt64(top ?? (CPU.stackAddress() + 1024)))
        var ctx = WorkerContext(engine: self, index: w)
        ctx.followServerCPU()
        let workload = configuration.workload
        do throws(Errno) {
            let limit = configuration.stressSteps
            if limit > 0 {
                var steps = 0
                while steps < limit && !isStopping {
                    try Workload.stressStep(&ctx)
                    steps += 1
                }
            } else if let fault = configuration.fault, fault.workers.contains(w) {
                var steps = 0
                while steps < fault.steps && !isStopping {
                    try workload.step(&ctx)
                    steps += 1
                }
                switch fault.kind {
                case .workloadThrows:
                    throw WorkerFault.injectedError
                case .threadExits:
                    // The thread ends while RUNNING: no UNREGISTER, the backend's thread-exit hook
                    // sends EXIT to the server, which traces it as `threadEnded`.
                    workerRows.set(w, WorkerField.failed, 2)
                    ctx.close()
                    return
                }
            } else {
                while !isStopping {
                    try workload.step(&ctx)
                }
            }
        } catch {
            workerRows.set(w, WorkerField.failed, 1)
            // Relaxed: a statistic.
            failures.add(1, ordering: .relaxed)
        }
        ctx.close()
        do throws(Errno) {
            try backend.ctl(.unregister)
        } catch {
            workerRows.set(w, WorkerField.failed, 1)
        }
    }
}
