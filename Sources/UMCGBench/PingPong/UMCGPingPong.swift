import Synchronization
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// The Nanos UMCG benchmark over any `UMCGBackend`: a server thread ("main") loops
/// CTX_SWITCH(worker) and checks that the event that comes back is the worker's WAIT; the worker
/// loops UMCG_WAIT. One cycle = server → worker → server (two switches).
///
/// The one path is `run(backend:…)`: the emulation and the kernel's umcg_ctl go through the same
/// code (`PingPongBackend` makes the backend `--backend` selected). Both threads are fresh threads
/// (the caller's thread is neither pinned nor registered).
public enum UMCGPingPong {
    /// Why a ping-pong run failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// One line.
        public var description: String
    }

    /// Set in the ping-pong worker's id (`tid << 5 | idTag`): far above any engine worker id, so an
    /// engine server sharing the kernel's global WAKE list ignores the worker's registration WAKE.
    public static let idTag: UInt64 = 1 << 48

    final class Shared: Sendable {
        let stop = Atomic<Bool>(false)
        let workerTid = Atomic<Int32>(0)
        let workerCPU = Atomic<Int32>(-1)
        let workerCPUNanos = Atomic<UInt64>(0)
        let workerError = Atomic<Int32>(0)
        let serverDone = Atomic<Bool>(false)
        /// The server ended while the worker may still wait in WAIT with nobody to switch to it.
        let workerStranded = Atomic<Bool>(false)
    }

    /// Runs the ping-pong on a fresh emulated backend with `handoff` (see `run(backend:…)`).
    public static func run(
        handoff: HandoffMode, placement: Placement, seconds: Double, hub: TraceHub? = nil,
        policy: SchedulingPolicy = .other
    ) throws -> PingPongResult {
        try run(
            backend: try PingPongBackend.emulated.make(handoff), placement: placement, seconds: seconds, hub: hub,
            policy: policy)
    }

    /// Runs the ping-pong for `seconds` and reports cycles. `hub` receives trace events when non-nil
    /// (a `.switchTo` and a `.wait` per cycle and the final `.switchTo`, pushed by the server thread
    /// into one ring).
    /// Both threads put themselves under `policy` (priority 1) after pinning; a refusal fails the run.
    /// `control` receives the cycle count every 64 cycles (a watchdog's progress) and may stop the
    /// run early. `backend` must be fresh or idle: the run registers one server and one worker on it.
    public static func run(
        backend: any UMCGBackend, placement: Placement, seconds: Double, hub: TraceHub? = nil,
        policy: SchedulingPolicy = .other, control: PingPongControl = PingPongControl()
    ) throws -> PingPongResult {
        guard seconds > 0, seconds <= 3600 else { throw Errno.EINVAL }
        let allowed = CPU.allowed()
        let cpus = allowed.count
        let last = allowed[allowed.count - 1]
        let (serverCPU, workerCPU): (Int?, Int?) =
            switch placement {
            case .sameCPU: (last, last)
            // The last two CPUs (like the baselines' CPUPlan): engine servers start at the first.
            case .crossCPU: cpus >= 2 ? (allowed[cpus - 2], last) : (last, last)
            case .unpinned: (nil, nil)
            }
        if placement == .crossCPU && cpus < 2 {
            throw Failure(description: "cross-cpu placement needs 2 CPUs; this process may use \(cpus)")
        }
        let shared = Shared()
        let duration = UInt64(seconds * 1e9)
        let ring = hub?.makeRing(label: "umcg-pingpong")

        let result = ThreadLock<Result<PingPongResult, Errno>>(.failure(.EINVAL))
        let server = try OSThread(name: "umcg-pp-server", stackSize: 256 << 10) {
            let r = serverLoop(
                backend: backend, shared: shared, cpu: serverCPU, policy: policy, duration: duration, ring: ring,
                control: control)
            result.withLock { $0 = r }
            // Releasing: pairs with the abort path's acquiring load below.
            shared.serverDone.store(true, ordering: .releasing)
        }
        // The server first: if the worker thread cannot start, the waiting server is poked and ends.
        let worker: OSThread
        do {
            worker = try OSThread(name: "umcg-pp-worker", stackSize: 256 << 10) {
                if let workerCPU { try? CPU.pin(workerCPU) }
                if policy != .other {
                    do throws(Errno) { try policy.apply(priority: 1) } catch {
                        // Relaxed: polled by the server while it waits for the registration.
                        shared.workerError.store(error.rawValue, ordering: .relaxed)
                        return
                    }
                }
                let tid = ThreadID.current()
                // Releasing: pairs with the server's acquiring load before CTX_SWITCH.
                shared.workerTid.store(tid, ordering: .releasing)
                do throws(Errno) {
                    try backend.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: tid) | idTag)
                    let cpu0 = SystemClock.threadCPUNanos()
                    // Relaxed: the server sets it before its final CTX_SWITCH, which we acquire through the handoff.
                    while !shared.stop.load(ordering: .relaxed) {
                        try backend.ctl(.wait)
                    }
                    // Relaxed: read after join(), which orders it.
                    shared.workerCPUNanos.store(SystemClock.threadCPUNanos() &- cpu0, ordering: .relaxed)
                    shared.workerCPU.store(CPU.current(), ordering: .relaxed)
                    try backend.ctl(.unregister)
                } catch {
                    // Relaxed: read after join() (or polled by the server as a hint).
                    shared.workerError.store(error.rawValue, ordering: .relaxed)
                }
            }
        } catch {
            // Relaxed: the server polls it between its idle WAITs; the join below orders the rest.
            shared.workerError.store(Errno.EAGAIN.rawValue, ordering: .relaxed)
            // Poke the server out of its idle WAIT until it has seen the flag and ended.
            // Acquiring: pairs with the server thread's releasing store.
            while !shared.serverDone.load(ordering: .acquiring) {
                try? backend.ctl(.wake)
                var word: UInt32 = 0
                _ = try? Futex.wait(&word, expected: 0, timeout: 1_000_000)
            }
            server.join()
            throw Failure(description: "cannot start the ping-pong worker thread: \(error)")
        }

        server.join()
        // Acquiring: pairs with the server's releasing store. A worker nobody can switch to any more
        // (a failed run on a backend without `interrupt`) is left detached rather than joined forever.
        if !shared.workerStranded.load(ordering: .acquiring) { worker.join() }
        let outcome = result.withLock { $0 }
        // Relaxed: the joins above ordered everything.
        let workerErrno = shared.workerError.load(ordering: .relaxed)
        if workerErrno != 0 { throw Failure(description: "umcg worker failed: \(Errno(rawValue: workerErrno))") }
        var r = try outcome.get()
        r.cpuNanos &+= shared.workerCPUNanos.load(ordering: .relaxed)
        r.cpus.append(shared.workerCPU.load(ordering: .relaxed))
        // Both threads were joined: the counts are exact (they include the registration's parks).
        if let emulated = backend as? EmulatedBackend { r.parks = emulated.parkCounts() }
        return r
    }

    static func serverLoop(
        backend: any UMCGBackend, shared: Shared, cpu: Int?, policy: SchedulingPolicy, duration: UInt64,
        ring: TraceRing?, control: PingPongControl
    ) -> Result<PingPongResult, Errno> {
        if let cpu { try? CPU.pin(cpu) }
        if policy != .other {
            do throws(Errno) { try policy.apply(priority: 1) } catch { return .failure(error) }
        }
        // SAFETY: the event array lives for this function; the backend writes at most 4 slots.
        let events = UnsafeMutablePointer<UInt64>.allocate(capacity: 4)
        defer { events.deallocate() }
        do throws(Errno) {
            try backend.ctl(.registerServer)
            defer { try? backend.ctl(.unregister) }
            // Wait for the worker's WAKE (its registration).
            var tid: Int32 = 0
            let registrationDeadline = SystemClock.realtimeNanos() &+ 10_000_000_000
            while true {
                // Relaxed: the worker's failure flag; it never registered, so nothing else to order.
                if shared.workerError.load(ordering: .relaxed) != 0 { throw Errno.ESRCH }
                try backend.ctl(.wait, absTimeout: registrationDeadline, events: events, eventCount: 4)
                if UMCGEvent(rawValue: events[0]).type == .wake { break }
            }
            // Acquiring: pairs with the worker's releasing store of its tid (before registering).
            tid = shared.workerTid.load(ordering: .acquiring)
            let cpu0 = SystemClock.threadCPUNanos()
            let start = SystemClock.monotonicNanos()
            var now = start
            var cycles: UInt64 = 0
            let myCPU = UInt16(truncatingIfNeeded: max(0, CPU.current()))
            // Traced: one trace-clock read per cycle (the TSC where it is invariant) and one ring
            // publication: the WAIT and the next switch share both (the last switch pushed is the
            // final CTX_SWITCH below, which lets the worker see `stop`).
            let clock = TraceClock.shared
            if let ring {
                ring.push(TraceEvent(timestamp: clock.nanos(), kind: .switchTo, server: 0, worker: 0, cpu: myCPU))
            }
            while true {
                try backend.ctl(.ctxSwitch, nextTid: tid, events: events, eventCount: 4)
                guard UMCGEvent(rawValue: events[0]).type == .wait else { throw Errno.EINVAL }
                cycles &+= 1
                // Optional chaining borrows the ring: `if let` copied (retained and released) it every cycle.
                if ring != nil {
                    let stamp = clock.nanos()
                    ring?.push(
                        TraceEvent(timestamp: stamp, kind: .wait, server: 0, worker: 0, cpu: myCPU),
                        TraceEvent(timestamp: stamp, kind: .switchTo, server: 0, worker: 0, cpu: myCPU))
                }
                if cycles & 63 == 0 {
                    control.publish(cycles)
                    now = SystemClock.monotonicNanos()
                    if now &- start >= duration || control.stopRequested { break }
                }
            }
            let elapsed = now &- start
            let cpuNanos = SystemClock.threadCPUNanos() &- cpu0
            // Relaxed: published to the worker by the CTX_SWITCH handoff below.
            shared.stop.store(true, ordering: .relaxed)
            try backend.ctl(.ctxSwitch, nextTid: tid, events: events, eventCount: 4)
            // The worker's last event is EXIT (it unregistered).
            return .success(
                PingPongResult(cycles: cycles, elapsedNanos: elapsed, cpuNanos: cpuNanos, cpus: [CPU.current()]))
        } catch {
            // Free the worker if it waits: stop it and interrupt its WAIT (EINTR ends its loop).
            shared.stop.store(true, ordering: .relaxed)
            // Acquiring: pairs with the worker's releasing tid store.
            let tid = shared.workerTid.load(ordering: .acquiring)
            if tid != 0 {
                if let emulated = backend as? EmulatedBackend {
                    try? emulated.interrupt(tid: tid)
                } else {
                    // The kernel has no interrupt and this server has unregistered: the worker may
                    // wait forever. Releasing: pairs with run()'s acquiring load.
                    shared.workerStranded.store(true, ordering: .releasing)
                }
            }
            return .failure(error)
        }
    }
}
