import UMCGSystem
import UMCGTrace

/// Where an `Aggregator` keeps its `FoldState`: in place for one thread, or behind a lock once a
/// pump folds into it from its own thread (`Aggregator.foldSink()`, used by `--attach`).
///
/// Sharing is one-way and happens once: `share()` runs on the aggregator's thread before the sink
/// reaches another thread (handing it over through a lock gives the happens-before), and from
/// then on every access, the aggregator's (`Aggregator.fold`'s accessors) and the sink's, holds
/// `mutex`. Before sharing, `lock()` and `unlock()` do nothing, so replay and the live
/// dashboard pay one branch per access.
final class FoldBox: @unchecked Sendable {
    // SAFETY: `state` is touched only between `lock()` and `unlock()`. Before `share()` those are
    // no-ops and only the aggregator's thread knows the box; `shared` is written once, by that
    // thread, before the sink (the only other way in) is handed to another thread under a lock,
    // and never written again.
    var state: FoldState
    private let mutex = ThreadMutex(recursive: true)
    private var shared = false

    init(_ state: FoldState) { self.state = state }

    /// From now on every access locks. The aggregator's thread calls it before handing out a sink.
    func share() { shared = true }

    /// Takes the lock when shared, and merges the latency values the sink left pending, so the
    /// holder sees every histogram up to date.
    @inline(__always)
    func lock() {
        guard shared else { return }
        mutex.lock()
        // Returns at once when nothing is pending.
        state.events.mergePendingLatencies()
    }

    /// Releases the lock when shared.
    @inline(__always)
    func unlock() { if shared { mutex.unlock() } }

    /// Runs `body` on the state under the lock, in place (no copy of the state, unlike a read of
    /// `Aggregator.fold`, which copies it: for the reads made per event).
    @inline(__always)
    func access<R>(_ body: (inout FoldState) -> R) -> R {
        lock()
        defer { unlock() }
        return body(&state)
    }

    /// Folds `batch` under the lock (the sink's body). Its latency values stay pending until the
    /// aggregator's next access: merging them costs about as much per merge whatever the batch,
    /// and a pump's batches are small (up to `AttachedRegion.batchCapacity` events) and frequent.
    func ingest(_ batch: UnsafeBufferPointer<TraceEvent>) {
        mutex.lock()
        defer { mutex.unlock() }
        state.ingest(batch, mergingLatencies: false)
    }
}
