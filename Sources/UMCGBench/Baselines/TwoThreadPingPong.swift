import Synchronization
import UMCGSystem

/// The two halves of a Nanos-shaped ping-pong. One cycle = main → peer → main.
protocol PingPongPair: AnyObject, Sendable {
    /// Peer thread: answers every handoff until `releasePeer()` lets it leave.
    func peerLoop()
    /// Main thread: one full cycle (hand to the peer, wait until it hands back).
    func mainCycle()
    /// Main thread, after its last cycle (or instead of any): makes `peerLoop` return.
    /// Must be harmless when the peer never entered or already left its loop.
    func releasePeer()
}

/// Runs a `PingPongPair` on two fresh pthreads: pins them, waits until both are ready, times
/// the main loop (stopped by a deadline or the control's flag, checked every 64 cycles), releases
/// the peer and joins both. The calling thread is never pinned or otherwise touched.
enum TwoThreadPingPong {
    /// What each thread records; read by the caller only after joining both threads.
    private final class Record: @unchecked Sendable {
        // SAFETY: main-side fields are written only by the main thread, peer-side ones only by
        // the peer; the caller reads them after pthread_join of both, which orders the writes.
        // The one cross-thread read (main reads peerError) is ordered by the `ready` word.
        let ready = PaddedWords(words32: 1, words64: 0)
        var mainError: BaselineError?
        var peerError: BaselineError?
        var cycles: UInt64 = 0
        var elapsed: UInt64 = 0
        var mainCPUNanos: UInt64 = 0
        var peerCPUNanos: UInt64 = 0
        var mainCPU: Int32 = -1
        var peerCPU: Int32 = -1
    }

    /// Runs `pair` for `seconds` (or until `control` asks to stop) under `plan`.
    static func run<P: PingPongPair>(
        _ pair: P, plan: CPUPlan, seconds: Double, control: PingPongControl
    ) throws(BaselineError) -> PingPongResult {
        guard seconds.isFinite, seconds > 0 else { throw .invalidDuration(seconds) }
        let durationNanos = UInt64(min(seconds, 1e6) * 1e9)
        let record = Record()

        let peer = try BaselineThread.start(name: "baseline-peer") {
            if let cpu = plan.peer {
                do throws(Errno) { try CPU.pin(Int(cpu)) } catch { record.peerError = .pinFailed(cpu: cpu, error) }
            }
            if record.peerError == nil {
                do throws(BaselineError) { try plan.applyPolicy() } catch { record.peerError = error }
            }
            let ok = record.peerError == nil
            let cpuStart = SystemClock.threadCPUNanos()
            // Release: publishes peerError to the main thread's acquiring load below.
            record.ready.word32(0).pointee.store(1, ordering: .releasing)
            BaselineFutex.wake(record.ready.word32(0))
            guard ok else { return }
            pair.peerLoop()
            record.peerCPUNanos = SystemClock.threadCPUNanos() &- cpuStart
            record.peerCPU = CPU.current()
        }

        let main: OSThread
        do {
            main = try BaselineThread.start(name: "baseline-main") {
                if let cpu = plan.main {
                    do throws(Errno) { try CPU.pin(Int(cpu)) } catch { record.mainError = .pinFailed(cpu: cpu, error) }
                }
                if record.mainError == nil {
                    do throws(BaselineError) { try plan.applyPolicy() } catch { record.mainError = error }
                }
                // Acquire: pairs with the peer's releasing store of `ready`.
                while record.ready.word32(0).pointee.load(ordering: .acquiring) == 0 {
                    BaselineFutex.wait(record.ready.word32(0), expected: 0)
                }
                if record.mainError == nil, record.peerError == nil {
                    let cpuStart = SystemClock.threadCPUNanos()
                    let start = SystemClock.monotonicNanos()
                    let deadline = start &+ durationNanos
                    var cycles: UInt64 = 0
                    var now = start
                    // The clock and the control every 64 cycles, as in the UMCG ping-pong: a clock read on
                    // the critical path of every cycle cost the spin limit about 40% of its rate here.
                    while true {
                        pair.mainCycle()
                        cycles &+= 1
                        if cycles & 63 == 0 {
                            control.publish(cycles)
                            now = SystemClock.monotonicNanos()
                            if now >= deadline || control.stopRequested { break }
                        }
                    }
                    control.publish(cycles)
                    record.elapsed = now &- start
                    record.mainCPUNanos = SystemClock.threadCPUNanos() &- cpuStart
                    record.cycles = cycles
                    record.mainCPU = CPU.current()
                }
                pair.releasePeer()
            }
        } catch {
            pair.releasePeer()
            peer.join()
            throw error
        }
        main.join()
        peer.join()
        if let error = record.mainError ?? record.peerError { throw error }
        return PingPongResult(
            cycles: record.cycles, elapsedNanos: record.elapsed,
            cpuNanos: record.mainCPUNanos &+ record.peerCPUNanos,
            cpus: [record.mainCPU, record.peerCPU])
    }
}
