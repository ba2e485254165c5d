import Synchronization
import UMCGSystem

/// The Nanos futex ping-pong between two plain threads: main sets a word to 1, FUTEX_WAKE,
/// FUTEX_WAIT while 1; the peer waits while 0, sets 0, FUTEX_WAKE.
public enum FutexPingPong {
    /// Runs for `seconds` with the threads placed as asked; `cpu` overrides the anchor CPU
    /// (see `CPUPlan.make`). Throws `BaselineError` (bad duration, cross-cpu on one CPU, pinning).
    public static func run(
        placement: Placement, seconds: Double, cpu: Int32? = nil, policy: SchedulingPolicy = .other
    ) throws(BaselineError)
        -> PingPongResult
    {
        try run(
            plan: CPUPlan.make(for: placement, preferredCPU: cpu, policy: policy), seconds: seconds,
            control: PingPongControl())
    }

    /// Runs under an explicit plan, publishing progress to and obeying `control`.
    public static func run(plan: CPUPlan, seconds: Double, control: PingPongControl) throws(BaselineError)
        -> PingPongResult
    {
        try TwoThreadPingPong.run(FutexPair(), plan: plan, seconds: seconds, control: control)
    }
}

/// The futex word and the "finished" flag, each on its own line.
final class FutexPair: PingPongPair {
    // word32(0): the handoff word (1 = peer's turn, 0 = main's turn).
    // word32(1): finished flag, set by main before the final handoff.
    private let words = PaddedWords(words32: 2, words64: 0)

    @inline(__always) private var word: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(0) }
    @inline(__always) private var finished: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(1) }

    func mainCycle() {
        // Our turn → the peer's, then sleep until it hands back (see FutexHandoff for the orderings).
        FutexHandoff.give(word, 1)
        FutexHandoff.wait(word, while: 1)
    }

    func peerLoop() {
        while true {
            // The acquiring load in `wait` pairs with main's releasing store of 1 and, at the end,
            // makes the finished flag stored before it visible.
            FutexHandoff.wait(word, while: 0)
            // Relaxed: ordered by the acquiring load of the word just above.
            if finished.pointee.load(ordering: .relaxed) != 0 { return }
            FutexHandoff.give(word, 0)
        }
    }

    func releasePeer() {
        // Relaxed store, then the releasing store of the word in `give` publishes it to the peer.
        finished.pointee.store(1, ordering: .relaxed)
        FutexHandoff.give(word, 1)
    }
}
