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
