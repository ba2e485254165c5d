import Synchronization
import UMCGSystem

/// The limit of any thread handoff on this machine: two pinned threads hand one cache line back
/// and forth, each spinning (with the CPU's pause hint) until the word says it is its turn.
/// No system call, no sleep; a switch costs one cache-line transfer each way.
///
/// Only meaningful across CPUs: on one CPU each spinner burns its whole slice waiting for a
/// thread that cannot run, so `run` refuses `.sameCPU` and `.unpinned`.
public enum SpinPingPong {
    /// Runs for `seconds` across two CPUs; `cpu` overrides the anchor CPU (see `CPUPlan.make`).
    /// Throws `BaselineError` (bad duration, a placement other than cross-cpu, one CPU, pinning).
    public static func run(
        placement: Placement, seconds: Double, cpu: Int32? = nil, policy: SchedulingPolicy = .other
    ) throws(BaselineError)
        -> PingPongResult
    {
        guard placement == .crossCPU else { throw .spinNeedsCrossCPU(placement) }
        return try run(
            plan: CPUPlan.make(for: placement, preferredCPU: cpu, policy: policy), seconds: seconds,
            control: PingPongControl())
    }

    /// Runs under an explicit plan, publishing progress to and obeying `control`.
    public static func run(plan: CPUPlan, seconds: Double, control: PingPongControl) throws(BaselineError)
        -> PingPongResult
    {
        try TwoThreadPingPong.run(SpinPair(), plan: plan, seconds: seconds, control: control)
    }
}

/// The handoff word and the "finished" flag, each on its own line.
final class SpinPair: PingPongPair {
    // word32(0): the handoff word (1 = peer's turn, 0 = main's turn): the one line that moves.
    // word32(1): finished flag, set by main before the final handoff.
    private let words = PaddedWords(words32: 2, words64: 0)

    @inline(__always) private var word: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(0) }
    @inline(__always) private var finished: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(1) }

    func mainCycle() {
        // Release: publishes main's side of the cycle; pairs with the peer's acquiring load.
        word.pointee.store(1, ordering: .releasing)
        // Acquire: pairs with the peer's releasing store of 0.
        while word.pointee.load(ordering: .acquiring) == 1 { CPU.relax() }
    }

    func peerLoop() {
        while true {
            // Acquire: pairs with main's releasing store of 1 (in mainCycle or releasePeer).
            while word.pointee.load(ordering: .acquiring) == 0 { CPU.relax() }
            // Relaxed: ordered by the acquiring load of the word just above.
            if finished.pointee.load(ordering: .relaxed) != 0 { return }
            // Release: pairs with main's acquiring load in mainCycle.
            word.pointee.store(0, ordering: .releasing)
        }
    }

    func releasePeer() {
        // Relaxed store, then the releasing store of the word publishes it to the peer.
        finished.pointee.store(1, ordering: .relaxed)
        word.pointee.store(1, ordering: .releasing)
    }
}
