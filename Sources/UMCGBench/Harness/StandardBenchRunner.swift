import Synchronization
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// The real runner: `CondvarPingPong`, `FutexPingPong`, `SpinPingPong` and `UMCGPingPong` on the
/// selected backend (traced cases with a fresh `TraceHub` drained by a consumer thread every 20 ms,
/// like the live trace pump). Every run goes through `BenchWatchdog`: one that publishes no new
/// cycle for `stuckSeconds` is abandoned and reported as `BenchStuck`.
public struct StandardBenchRunner: BenchRunner {
    /// Anchor CPU for the baselines' placements (nil = the last CPU; see `CPUPlan.make`).
    public var cpu: Int32?
    /// The scheduling policy every thread of every case runs under (see `BenchPlan.policy`).
    public var policy: SchedulingPolicy
    /// Makes the backend of each UMCG run (`PingPongBackend.selected` for `--backend`).
    public var backend: PingPongBackend
    /// Seconds without a new cycle before a run counts as stuck.
    public var stuckSeconds: Double
    /// Test hook (`bench --simulate-stuck`): this method's runs use a peer that never answers.
    public var simulateStuck: BenchMethod?
    /// Runs a UMCG case; nil = `UMCGPingPong.run(backend:…)` on `backend`.
    public var umcg: (@Sendable (HandoffMode, Placement, Double, TraceHub?) throws -> PingPongResult)?

    /// Creates the runner.
    public init(
        cpu: Int32? = nil, policy: SchedulingPolicy = .other, backend: PingPongBackend = .emulated,
        stuckSeconds: Double = BenchWatchdog.defaultStuckSeconds, simulateStuck: BenchMethod? = nil,
        umcg: (@Sendable (HandoffMode, Placement, Double, TraceHub?) throws -> PingPongResult)? = nil
    ) {
        self.cpu = cpu
        self.policy = policy
        self.backend = backend
        self.stuckSeconds = stuckSeconds
        self.simulateStuck = simulateStuck
        self.umcg = umcg
    }

    /// Runs `c` once for `seconds` under the watchdog; a traced UMCG case also counts the events
    /// drained and dropped. Throws `BenchStuck` for a run without progress.
    public func run(_ c: BenchCase, seconds: Double) throws -> BenchRun {
        let stuckNanos = UInt64(max(0.01, min(stuckSeconds, 3600)) * 1e9)
        if c.method == .umcg, let kind = c.backend, kind != backend.kind {
            throw BenchRunError(description: "this runner measures the \(backend.kind) backend, not \(kind)")
        }
        return try BenchWatchdog.run(stuckNanos: stuckNanos) { control in
            try measure(c, seconds: seconds, control: control)
        }
    }

    /// One run on the calling thread, publishing its cycles to `control`.
    func measure(_ c: BenchCase, seconds: Double, control: PingPongControl) throws -> BenchRun {
        let plan = { () throws(BaselineError) in
            try CPUPlan.make(for: c.placement, preferredCPU: cpu, policy: policy)
        }
        if c.method == simulateStuck {
            return BenchRun(result: try StuckPeerPingPong.run(plan: plan(), seconds: seconds, control: control))
        }
        switch c.method {
        case .condvar:
            return BenchRun(result: try CondvarPingPong.run(plan: plan(), seconds: seconds, control: control))
        case .futex:
            return BenchRun(result: try FutexPingPong.run(plan: plan(), seconds: seconds, control: control))
        case .spin:
            guard c.placement == .crossCPU else { throw BaselineError.spinNeedsCrossCPU(c.placement) }
            return BenchRun(result: try SpinPingPong.run(plan: plan(), seconds: seconds, control: control))
        case .umcg:
            let runUMCG =
                umcg ?? { [policy, backend] h, p, s, hub in
                    try UMCGPingPong.run(
                        backend: backend.make(h), placement: p, seconds: s, hub: hub, policy: policy, control: control)
                }
            let handoff = c.handoff ?? .futex
            guard c.tracing else {
                return BenchRun(result: try runUMCG(handoff, c.placement, seconds, nil))
            }
            // 2^20 slots (32 MiB) hold ~150 ms of the fastest traced ping-pong: 7 passes of headroom.
            let hub = TraceHub(ringCapacity: 1 << 20)
            let drainer = try HubDrainer(hub: hub)
            let result: PingPongResult
            do {
                result = try runUMCG(handoff, c.placement, seconds, hub)
            } catch {
                _ = drainer.finish()
                throw error
            }
            let events = drainer.finish()
            return BenchRun(result: result, tracedEvents: events, droppedEvents: hub.dropped)
        }
    }
}

/// A consumer thread that drains a hub every `passNanos` until finished.
private final class HubDrainer: Sendable {
    /// Time between drain passes.
    static let passNanos: Int64 = 20_000_000
    private let hub: TraceHub
    // word32(0): stop flag the thread sleeps on. word64(0): events drained by the thread.
    private let words = PaddedWords(words32: 1, words64: 1)
    private let thread: ThreadLock<OSThread?> = ThreadLock(nil)

    init(hub: TraceHub) throws(BaselineError) {
        self.hub = hub
        let t = try BaselineThread.start(name: "bench-drain") { [self] in loop() }
        thread.withLock { $0 = t }
    }

    private func loop() {
        var count: UInt64 = 0
        // Acquire: pairs with finish()'s releasing store; the hub is then quiet.
        while words.word32(0).pointee.load(ordering: .acquiring) == 0 {
            hub.drain { _ in count &+= 1 }
            // Sleep after every pass, busy or not, like the recording pump: a consumer that loops while
            // events keep coming takes a CPU from the ping-pong it measures, and every wake-up of the
            // consumer preempts a spinning peer. The ring holds ~150 ms of the fastest ping-pong,
            // so a pass every `passNanos` drops nothing.
            _ = try? Futex.wait(Futex.address(of: words.word32(0)), expected: 0, timeout: UInt64(HubDrainer.passNanos))
        }
        // Relaxed: read by finish() after join, which orders it.
        words.word64(0).pointee.store(count, ordering: .relaxed)
    }

    /// Stops and joins the thread, drains what is left on the caller, returns all events drained.
    func finish() -> UInt64 {
        // Release: pairs with the loop's acquiring load.
        words.word32(0).pointee.store(1, ordering: .releasing)
        BaselineFutex.wake(words.word32(0))
        thread.withLock { $0 }?.join()
        var count = words.word64(0).pointee.load(ordering: .relaxed)
        // After the join this thread is the hub's only consumer.
        hub.drain { _ in count &+= 1 }
        return count
    }
}
