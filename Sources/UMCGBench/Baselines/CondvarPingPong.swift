import Synchronization
import UMCGSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The Nanos condition-variable ping-pong between two plain threads: a flag under a pthread
/// mutex, `pthread_cond_wait` / `pthread_cond_signal` on both sides.
public enum CondvarPingPong {
    /// Runs for `seconds` with the threads placed as asked; `cpu` overrides the anchor CPU.
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
        try TwoThreadPingPong.run(CondvarPair(), plan: plan, seconds: seconds, control: control)
    }
}

/// A pthread mutex, condvar and flag in raw memory that never moves.
final class CondvarPair: PingPongPair, @unchecked Sendable {
    // SAFETY: mutex and cond are allocated once and never moved or copied (pthread types must
    // not be); `peerTurn` is read and written only with `mutex` held; `finished` is an atomic.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private let peerTurn: UnsafeMutablePointer<Int32>
    private let finished = Atomic<Bool>(false)

    init() throws(BaselineError) {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        peerTurn = .allocate(capacity: 1)
        peerTurn.initialize(to: 0)
        let m = pthread_mutex_init(mutex, nil)
        let c = m == 0 ? pthread_cond_init(cond, nil) : 0
        guard m == 0, c == 0 else {
            if m == 0 { pthread_mutex_destroy(mutex) }
            mutex.deallocate()
            cond.deallocate()
            peerTurn.deallocate()
            throw .syncInitFailed(Errno(rawValue: m != 0 ? m : c))
        }
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
        peerTurn.deallocate()
    }

    func mainCycle() {
        pthread_mutex_lock(mutex)
        while peerTurn.pointee != 0 { pthread_cond_wait(cond, mutex) }
        peerTurn.pointee = 1
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(cond)
    }

    func peerLoop() {
        // Relaxed: `finished` is set before the final handoff under the mutex, which orders it.
        while !finished.load(ordering: .relaxed) {
            pthread_mutex_lock(mutex)
            while peerTurn.pointee == 0 { pthread_cond_wait(cond, mutex) }
            peerTurn.pointee = 0
            pthread_mutex_unlock(mutex)
            pthread_cond_signal(cond)
        }
    }

    func releasePeer() {
        // Relaxed: the mutex unlock below publishes it to the peer's next lock.
        finished.store(true, ordering: .relaxed)
        pthread_mutex_lock(mutex)
        peerTurn.pointee = 1
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(cond)
    }
}
