import Synchronization
import UMCGSystem

/// Shared between a running ping-pong and whoever watches it: a stop request checked and the live
/// cycle count published every 64 cycles (and at the end of a run).
///
/// Threading rule: one ping-pong main thread at a time calls `publish`; `requestStop`, `reset`
/// and the readers may be called from any thread.
public final class PingPongControl: Sendable {
    // word32(0): stop flag (0/1). word64(0): cycles of the current run.
    private let words = PaddedWords(words32: 1, words64: 1)

    /// Creates a control with no stop requested and 0 cycles.
    public init() {}

    /// Asks the running (or next) ping-pong to finish after its current cycle.
    public func requestStop() {
        // Sequentially consistent: ordered against `reset` and against the owner's own
        // run-state word (LiveBaselines' Dekker pair between pause() and the slice start).
        words.word32(0).pointee.store(1, ordering: .sequentiallyConsistent)
    }

    /// Clears the stop request and the published cycles before a new run.
    public func reset() {
        // Relaxed for the cycles: the run that publishes next starts after this on the same
        // thread or after a thread start, which orders it. Stop: see requestStop.
        words.word64(0).pointee.store(0, ordering: .relaxed)
        words.word32(0).pointee.store(0, ordering: .sequentiallyConsistent)
    }

    /// True once a stop was requested (checked by the main thread every 64 cycles).
    @inline(__always)
    public var stopRequested: Bool {
        // Relaxed: a hint polled every 64 cycles; seeing it one poll late is fine.
        words.word32(0).pointee.load(ordering: .relaxed) != 0
    }

    /// Publishes the cycle count of the current run (the ping-pong's main thread only).
    @inline(__always)
    public func publish(_ cycles: UInt64) {
        // Relaxed: a monotonic statistic; readers need no other data with it.
        words.word64(0).pointee.store(cycles, ordering: .relaxed)
    }

    /// Cycles the current (or last) run has completed so far.
    public var publishedCycles: UInt64 {
        // Relaxed: pairs with nothing; see publish.
        words.word64(0).pointee.load(ordering: .relaxed)
    }
}
