import Synchronization
import UMCGSystem

/// The one futex handoff of every Swift ping-pong here, written once: the futex baseline
/// (`FutexPingPong`, which `umcgtop bench`, the live baselines and the perf tests all run) and the
/// scale bench's floor (`FutexRoundRobin`). It is the C reference's loop
/// (`Benchmarks/c/pingpong.c`): store with release then FUTEX_WAKE one; load with acquire and
/// FUTEX_WAIT while the word still holds the value.
///
/// Threading rule: any number of threads may use the same word; what each value means (whose
/// turn it is) is the caller's protocol. The word must live in `PaddedWords` (it never moves).
enum FutexHandoff {
    /// Hands the turn over: stores `value` and wakes one thread sleeping on `word`.
    @inline(__always)
    static func give(_ word: UnsafeMutablePointer<Atomic<UInt32>>, _ value: UInt32) {
        // Releasing: pairs with the acquiring load in `wait(_:while:)` of the thread taking the
        // turn, so everything this thread wrote before handing over is visible to it.
        word.pointee.store(value, ordering: .releasing)
        BaselineFutex.wake(word)
    }

    /// Sleeps until `word` no longer holds `value` (spurious wakes, EAGAIN and EINTR re-check).
    @inline(__always)
    static func wait(_ word: UnsafeMutablePointer<Atomic<UInt32>>, while value: UInt32) {
        // Acquiring: pairs with the releasing store in `give` of the thread handing the turn over.
        while word.pointee.load(ordering: .acquiring) == value {
            BaselineFutex.wait(word, expected: value)
        }
    }
}
