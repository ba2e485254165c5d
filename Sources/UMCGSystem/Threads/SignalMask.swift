import CUMCGShims

/// Signal masks for the threads the engine creates.
public enum SignalMask {
    /// Runs `body` with every asynchronous signal blocked on the calling thread, then restores the
    /// mask. Threads created inside inherit the blocked mask, so SIGINT, SIGTERM, SIGWINCH and the
    /// like go to the application's own threads, never to a worker's (small, possibly pooled) stack
    /// in the middle of a switch. Synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
    /// SIGABRT, SIGSYS) stay deliverable. If the mask cannot be changed, `body` runs anyway.
    public static func withAsyncSignalsBlocked<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        var saved = umcg_shim_sigmask()
        let blocked = umcg_shim_block_async_signals(&saved) == 0
        defer { if blocked { _ = umcg_shim_restore_signals(&saved) } }
        return try body()
    }
}
