import Synchronization
import UMCGSystem

/// A futex ping-pong whose peer never answers: main hands the turn over and waits forever, the
/// peer sleeps on a word nobody wakes. The stand-in for the lost wake-up a kernel bug causes (the
/// cross-CPU futex baseline on Nanos), to show `bench`'s watchdog; `bench --simulate-stuck` runs it.
public enum StuckPeerPingPong {
    /// Runs under `plan`; never returns on its own (its threads block for good).
    public static func run(plan: CPUPlan, seconds: Double, control: PingPongControl) throws(BaselineError)
        -> PingPongResult
    {
        try TwoThreadPingPong.run(StuckPeerPair(), plan: plan, seconds: seconds, control: control)
    }
}

/// The handoff word main waits on and a word the peer sleeps on forever.
final class StuckPeerPair: PingPongPair {
    // word32(0): the handoff word (1 = peer's turn). word32(1): the peer's word, never changed.
    private let words = PaddedWords(words32: 2, words64: 0)

    func mainCycle() {
        // See FutexHandoff for the orderings; nobody ever hands the turn back.
        FutexHandoff.give(words.word32(0), 1)
        FutexHandoff.wait(words.word32(0), while: 1)
    }

    func peerLoop() {
        // Acquiring: nothing ever stores to this word, so the loop never ends.
        while words.word32(1).pointee.load(ordering: .acquiring) == 0 {
            BaselineFutex.wait(words.word32(1), expected: 0)
        }
    }

    func releasePeer() {
        // The partner never answers: nothing to release (main never gets here either).
    }
}
