/// When a server says a blocked worker woke (the end of its `blocked_ns`, the start of its
/// `runnable_ns`, the traced WAKE's timestamp).
///
/// On the emulation a worker leaving a blocking section stamps `WorkerField.wakeAt` and only then
/// queues its WAKE, so the server reads the moment the blocking call returned. On the kernel (the
/// Nanos klib) the kernel queues WAKE when the call returns and keeps the worker paused until a
/// server switches to it: the worker's own stamp comes after the server handled the WAKE, so the
/// server stamps the WAKE when it receives the event.
enum WakeTiming: Equatable {
    /// The worker's `wakeAt`, written before its WAKE is queued (the emulation).
    case workerStamp
    /// The server's clock when the event arrives (the kernel).
    case receipt

    /// The timing `backend`'s WAKE semantics allow.
    init(for backend: any UMCGBackend) {
        self = backend.kind == .kernel ? .receipt : .workerStamp
    }
}

extension ServerScheduler {
    /// When `w`'s block began, for its trace event: its `blockedAt` stamp if it falls in the
    /// current run (between its switch-in and the BLOCK's receipt `t`), else `t` (a stale stamp:
    /// a block outside a section on the kernel).
    func blockStart(_ w: Int, receivedAt t: UInt64) -> UInt64 {
        var start = rows.get(w, WorkerField.switchedInAt)
        if switchStart != 0 && start < switchStart { start = switchStart }
        let stamped = rows.get(w, WorkerField.blockedAt)
        return stamped >= start && stamped <= t ? stamped : t
    }
}
