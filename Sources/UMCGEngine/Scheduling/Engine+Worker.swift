import UMCGSystem
import UMCGTrace

extension Engine {
    /// A worker thread: register, run the workload until it returns, unregister (EXIT).
    func runWorker(_ w: Int, name: String, workload: any Workload) {
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
        var ctx = WorkerContext(engine: self, index: w, name: name)
        ctx.followServerCPU()
        do {
            // One call per worker's life: the workload loops itself, so a step costs no dynamic dispatch.
            try workload.run(&ctx)
        } catch {
            workerRows.set(w, WorkerField.failed, 1)
            // Relaxed: a statistic.
            failures.add(1, ordering: .relaxed)
        }
        if ctx.skipsUnregister {
            // The thread ends while RUNNING: no UNREGISTER, the backend's thread-exit hook sends
            // EXIT to the server, which traces it as `threadEnded`.
            workerRows.set(w, WorkerField.failed, 2)
            ctx.close()
            return
        }
        ctx.close()
        do throws(Errno) {
            try backend.ctl(.unregister)
        } catch {
            workerRows.set(w, WorkerField.failed, 1)
        }
    }
}
