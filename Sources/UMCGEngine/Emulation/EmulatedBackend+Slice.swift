import Synchronization
import UMCGSystem

extension EmulatedBackend {
    /// Nanoseconds left of the calling worker's slice (`sliceNanos` from the time the server switched
    /// to it, the `switchedAt` that `checkpoint()` uses): 0 when the slice is over, -1 when the caller
    /// is not a RUNNING worker of this backend. For a preemption timer: it re-arms for the rest
    /// without keeping a clock of its own. Async-signal-safe (TLS, atomics, the trace clock).
    public func sliceLeft() -> Int64 {
        guard case .worker(let w) = currentRole() else { return -1 }
        // Relaxed: own state; a caller that acts on it re-checks (checkpoint's CAS).
        guard w.state.pointee.load(ordering: .relaxed) == UMCGWorkerState.running else { return -1 }
        // Relaxed: written by the server before its releasing RUNNING store, which we acquired.
        let ran = TraceClock.shared.nanos() &- w.switchedAt.pointee.load(ordering: .relaxed)
        return ran >= options.sliceNanos ? 0 : Int64(options.sliceNanos - ran)
    }
}
