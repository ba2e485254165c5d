import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// What the handoff tests' workers share: which worker a handoff named (the first worker to run
/// after the call must be that one), what each caller's handoff saw, and tallies.
final class HandoffProbe: Sendable {
    // Every access is sequentially consistent: test bookkeeping, ordered by the engine's switches.
    /// caller << 16 | target of the handoff in flight, -1 none.
    let pending = Atomic<Int>(-1)
    /// Per worker: 1 when the worker that ran right after its handoff was the target, 2 when not.
    let outcomes = Mutex<[Int]>([0, 0, 0])
    let direct = Atomic<Int>(0)
    let fallbacks = Atomic<Int>(0)
    let violations = Atomic<Int>(0)
}

extension HandoffProbe {
    /// Worker `me` runs (first thing after every call that gave the server away).
    func resumed(_ me: Int) {
        let v = pending.exchange(-1, ordering: .sequentiallyConsistent)
        guard v >= 0 else { return }
        outcomes.withLock { $0[v >> 16] = v & 0xFFFF == me ? 1 : 2 }
    }

    /// Worker `me`'s handoff returned `direct`.
    func returned(_ me: Int, direct d: Bool) {
        let seen = outcomes.withLock { o in
            defer { o[me] = 0 }
            return o[me]
        }
        guard d else {
            fallbacks.add(1, ordering: .sequentiallyConsistent)
            return
        }
        direct.add(1, ordering: .sequentiallyConsistent)
        if seen != 1 { violations.add(1, ordering: .sequentiallyConsistent) }
    }
}

/// `calls` handoffs to `peer` (or yields when `peer` is nil), each checked with the probe.
struct ProbeWorkload: Workload {
    let probe: HandoffProbe
    let me: Int
    let peer: Int?
    let calls: Int

    func run(_ ctx: inout WorkerContext) throws {
        probe.resumed(me)
        for _ in 0..<calls {
            if let peer {
                probe.pending.store(me << 16 | peer, ordering: .sequentiallyConsistent)
                let d = try ctx.handoff(to: peer)
                probe.resumed(me)
                probe.returned(me, direct: d)
            } else {
                try ctx.yield()
                probe.resumed(me)
            }
        }
    }
}

@Suite struct DirectHandoffTests {
    /// One server, workers 0 and 2 hand the server to each other, worker 1 only yields. Before the
    /// direct handoff every one of these calls fell back to a yield (the peer was WAITING, which
    /// the worker-form CTX_SWITCH refuses): no handoff ran, and the server picked worker 1 in between.
    @Test(arguments: [HandoffMode.futex, .adaptive])
    func handoffRunsTheNamedPeerNextAndCountsLosslessly(mode: HandoffMode) throws {
        let calls = 2_000
        let hub = TraceHub(ringCapacity: 1 << 17)
        var c = EngineConfiguration(servers: 1, workers: 0, reservedWorkers: 3, handoff: mode, backend: .emulated)
        c.hub = hub
        let engine = try Engine(c)
        let probe = HandoffProbe()
        for (me, peer) in [(0, 2), (1, nil), (2, 0)] as [(Int, Int?)] {
            _ = try engine.spawn(name: "w\(me)", ProbeWorkload(probe: probe, me: me, peer: peer, calls: calls))
        }
        try engine.start()
        let done = waitUntil(seconds: 60) { engine.exitedWorkerCount == 3 }
        #expect(engine.stop())
        #expect(done)
        #expect(engine.failedWorkers == 0)
        // Relaxed loads below: the workers were joined.
        let direct = probe.direct.load(ordering: .relaxed)
        let fallbacks = probe.fallbacks.load(ordering: .relaxed)
        #expect(direct + fallbacks == 2 * calls)
        // Fallbacks: a full handoff log (one in `HandoffLog.capacity`), the peer not yet started or
        // gone. Through the worker-form CTX_SWITCH every second handoff failed (its target IDLE).
        print("direct handoffs \(direct), fallbacks \(fallbacks)")
        #expect(direct >= 3 * calls / 2, "direct \(direct), fell back \(fallbacks)")
        #expect(probe.violations.load(ordering: .relaxed) == 0)
        #expect(engine.serverRows.get(0, ServerField.handoffs) == UInt64(direct))
        #expect(engine.serverRows.get(0, ServerField.handoffCount) == 0)
        #expect(engine.serverRows.get(0, ServerField.current) == 0)

        let s = engine.snapshot()
        // Every call is one WAIT; every worker ran once at start and once after each call.
        #expect(s.workers.map(\.waits) == [UInt64](repeating: UInt64(calls), count: 3))
        #expect(s.workers.map(\.switches) == [UInt64](repeating: UInt64(calls + 1), count: 3))
        #expect(s.servers[0].switches == UInt64(3 * (calls + 1)))
        let busy = s.servers[0].busyNanos
        let run = s.workers.reduce(UInt64(0)) { $0 + $1.runNanos }
        #expect(run <= busy + busy / 100, "run \(run) busy \(busy)")
        #expect(run >= busy - busy / 20, "run \(run) busy \(busy)")

        // The trace says the same: one switch-in per run, one `.handoff` per direct handoff, naming the peer.
        var switchIns = [0, 0, 0]
        var handoffs = 0
        var wrongTarget = 0
        hub.drain { e in
            let w = Int(e.worker)
            if e.kind == .switchTo, w < 3 { switchIns[w] += 1 }
            if e.kind == .handoff {
                handoffs += 1
                if e.arg != UInt64(2 - w) { wrongTarget += 1 }
            }
        }
        #expect(hub.dropped == 0)
        #expect(switchIns == [Int](repeating: calls + 1, count: 3))
        #expect(handoffs == direct)
        #expect(wrongTarget == 0)
    }

    /// A handoff to a worker that is not waiting to run (here: blocked in a section until the
    /// caller is done) falls back to a yield: it returns false, the server ran the caller again,
    /// and nothing is counted as a handoff.
    @Test func handoffToABlockedPeerFallsBackToYield() throws {
        let c = EngineConfiguration(servers: 1, workers: 0, reservedWorkers: 2, handoff: .futex, backend: .emulated)
        let engine = try Engine(c)
        let release = Atomic<UInt32>(0)
        let results = Atomic<Int>(0)  // handoffs that returned true
        let calls = Atomic<Int>(0)
        // Sequentially consistent throughout: test bookkeeping.
        _ = try engine.spawn(name: "blocked") { ctx in
            try ctx.blocking(.other) {
                while release.load(ordering: .sequentiallyConsistent) == 0 {
                    var word: UInt32 = 0
                    _ = try? Futex.wait(&word, expected: 0, timeout: 1_000_000)
                }
            }
        }
        _ = try engine.spawn(name: "caller") { ctx in
            // Wait until the peer sits in its section, then hand off to it 100 times.
            while engine.snapshot().workers[0].state != .blocked { try ctx.yield() }
            for _ in 0..<100 {
                if try ctx.handoff(to: 0) { results.add(1, ordering: .sequentiallyConsistent) }
                calls.add(1, ordering: .sequentiallyConsistent)
            }
            try ctx.handoff(to: 1)  // itself: a yield
            try ctx.handoff(to: 99)  // not spawned: a yield
            release.store(1, ordering: .sequentiallyConsistent)
        }
        try engine.start()
        let done = waitUntil(seconds: 30) { engine.exitedWorkerCount == 2 }
        #expect(engine.stop())
        #expect(done)
        #expect(engine.failedWorkers == 0)
        #expect(calls.load(ordering: .sequentiallyConsistent) == 100)
        #expect(results.load(ordering: .sequentiallyConsistent) == 0)
        #expect(engine.serverRows.get(0, ServerField.handoffs) == 0)
        #expect(engine.snapshot().workers[0].blocks == 1)
    }

    /// While a handoff's target runs, the server's current worker is the target (the dashboard's
    /// server row), not the worker the server switched to.
    @Test func theServersCurrentWorkerIsTheTarget() throws {
        let c = EngineConfiguration(servers: 1, workers: 0, reservedWorkers: 2, handoff: .futex, backend: .emulated)
        let engine = try Engine(c)
        // Sequentially consistent throughout: test bookkeeping.
        let attempt = Atomic<Int>(0)  // 1 while worker 0's handoff is in flight
        let seen = Atomic<Int>(-1)  // the server's current worker + 1, as worker 1 saw it during the attempt
        let result = Atomic<Int>(-1)  // what worker 1 saw after a handoff that went direct
        _ = try engine.spawn(name: "from") { ctx in
            while !ctx.shouldStop {
                seen.store(-1, ordering: .sequentiallyConsistent)
                attempt.store(1, ordering: .sequentiallyConsistent)
                let direct = try ctx.handoff(to: 1)
                attempt.store(0, ordering: .sequentiallyConsistent)
                if direct {
                    result.store(seen.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent)
                    return
                }
            }
        }
        _ = try engine.spawn(name: "to") { ctx in
            while !ctx.shouldStop && result.load(ordering: .sequentiallyConsistent) < 0 {
                if attempt.load(ordering: .sequentiallyConsistent) == 1,
                    seen.load(ordering: .sequentiallyConsistent) < 0
                {
                    seen.store(Int(engine.serverRows.get(0, ServerField.current)), ordering: .sequentiallyConsistent)
                }
                try ctx.yield()
            }
        }
        try engine.start()
        let done = waitUntil(seconds: 30) { engine.exitedWorkerCount == 2 }
        #expect(engine.stop())
        #expect(done)
        // Before the handoff set it, the row still named worker 0 (1), the worker the server switched to.
        #expect(result.load(ordering: .sequentiallyConsistent) == 2)
    }

    /// The backend refuses a direct handoff to a worker that is not RUNNABLE or WAITING (EINVAL),
    /// to an unknown tid (ESRCH) and from a thread that is not a running worker (EINVAL), without
    /// calling `onClaim` and leaving the caller RUNNING.
    @Test func backendRefusesWhatItCannotClaim() throws {
        let b = try EmulatedBackend(options: .init(handoff: .futex, maxWorkers: 4, maxServers: 2))
        var claimed = 0
        #expect(throws: Errno.EINVAL) { _ = try b.directHandoff(to: 1) { claimed += 1 } }
        #expect(claimed == 0)
        #expect(try KernelLikeBackend().directHandoff(to: 1) { claimed += 1 } == false)
        #expect(claimed == 0)
    }
}

/// A backend with no direct handoff (the protocol's default), as the kernel's.
final class KernelLikeBackend: UMCGBackend, Sendable {
    var kind: BackendKind { .kernel }
    func ctl(
        flags: UInt64, cmd: UMCGCommand, nextTid: Int32, absTimeout: UInt64, events: UnsafeMutablePointer<UInt64>?,
        eventCount: Int32
    ) throws(Errno) { throw .ENOSYS }
    func enterBlocking() throws(Errno) {}
    func leaveBlocking() throws(Errno) {}
    func checkpoint() throws(Errno) -> Bool { false }
}
