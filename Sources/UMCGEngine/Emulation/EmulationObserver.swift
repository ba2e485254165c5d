/// Sees every transition `EmulatedBackend` performs, on the thread performing it (issue #12: the
/// events and counters of a program under libumcg.so, whose scheduler is the program's own).
///
/// Threading rule: each call runs on the thread named in its comment, inside the backend's own path
/// and before the transition becomes visible to other threads, so one thread's calls arrive in the
/// order its transitions happened. `workerStopping(_:server:as:next:)` with `.preempt` may run in a
/// signal handler (the preemption timer's): implementations must not allocate, lock or wait.
/// Indices are the backend's control-block indices (dense, stable while the thread is registered,
/// reused after); a server index is -1 when there is none.
///
/// Cost: the backend holds the observer unretained in a `let` and tests it once per transition, so
/// a backend without one pays one load and a predictable branch, and one with one pays a virtual
/// call and never touches its reference count (docs/PERFORMANCE.md). A class, not a protocol, so
/// that the backend can hold it `Unmanaged`: calling through a stored existential retained and
/// released it around every call, an atomic count the server's and the worker's CPUs passed back
/// and forth. Subclasses override what they need; the defaults do nothing.
open class EmulationObserver: @unchecked Sendable {
    // SAFETY: no state of its own; subclasses state their own threading rule.

    /// Creates an observer.
    public init() {}

    /// A worker registered (its own thread, before it is runnable).
    open func workerRegistered(_ worker: Int, tid: Int32) {}
    /// A server switched to the worker (or a worker handed its server to it), which now runs again
    /// (its own thread, as it resumes). `switchedAt` is the switching thread's `TraceClock` time.
    open func workerResumed(_ worker: Int, server: Int, switchedAt: UInt64) {}
    /// A running worker stops (its own thread, before any server can act on it).
    /// `next` is the worker it hands its server to (`.handoff` only), else -1.
    open func workerStopping(_ worker: Int, server: Int, as stop: EmulatedStop, next: Int) {}
    /// A blocked worker left its blocking section and is runnable (its own thread).
    open func workerWoke(_ worker: Int) {}
    /// The worker's WAIT or handoff deadline passed (its own thread).
    open func workerTimedOut(_ worker: Int) {}
    /// The worker unregistered or its thread ended (its own thread, before its block is reused).
    /// `server` is the one it ran on, -1 when it was not running.
    open func workerExited(_ worker: Int, server: Int, threadEnded: Bool) {}
    /// A server registered (its own thread).
    open func serverRegistered(_ server: Int, tid: Int32) {}
    /// A server unregistered or its thread ended (its own thread).
    open func serverUnregistered(_ server: Int) {}
    /// A server's CTX_SWITCH ended: the worker it started at `startedAt` stopped and `events` events
    /// were written to the server's buffer (the server's thread).
    open func serverSwitched(_ server: Int, worker: Int, startedAt: UInt64, events: Int) {}
    /// A server found no events in WAIT and goes to sleep (the server's thread, once per WAIT call).
    open func serverIdle(_ server: Int) {}
    /// A server's WAIT for events returns with `events` events written (the server's thread);
    /// `slept` when `serverIdle(_:)` was called for this WAIT.
    open func serverWaitEnded(_ server: Int, events: Int, slept: Bool) {}
}

/// How a running worker stops (`EmulationObserver.workerStopping`).
public enum EmulatedStop: Sendable, Equatable {
    /// It entered a blocking section; `reason` is a `BlockReason` raw value.
    case block(reason: UInt64)
    /// UMCG_WAIT.
    case wait
    /// Worker CTX_SWITCH: it hands its server to another worker.
    case handoff
    /// Its slice ran out (the preemption timer or a checkpoint).
    case preempt
}
