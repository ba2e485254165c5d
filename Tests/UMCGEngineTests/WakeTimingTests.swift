import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// A test double with the Nanos klib's WAKE semantics, over the emulation: the kernel sees the
/// worker block inside its system call, so BLOCK, the call itself (`blockNanos`), WAKE and the
/// pause until a server switches to the worker all happen before any of the engine's code after
/// the call runs (`KernelBackend.leaveBlocking` is a no-op). It says it is the kernel.
final class KlibWakeBackend: UMCGBackend, Sendable {
    let inner: EmulatedBackend
    let blockNanos: UInt64

    init(_ inner: EmulatedBackend, blockNanos: UInt64) {
        self.inner = inner
        self.blockNanos = blockNanos
    }

    var kind: BackendKind { .kernel }

    func ctl(
        flags: UInt64, cmd: UMCGCommand, nextTid: Int32, absTimeout: UInt64, events: UnsafeMutablePointer<UInt64>?,
        eventCount: Int32
    ) throws(Errno) {
        try inner.ctl(
            flags: flags, cmd: cmd, nextTid: nextTid, absTimeout: absTimeout, events: events, eventCount: eventCount)
    }

    /// The blocking call as the klib runs it: BLOCK, the call, WAKE, paused until CTX_SWITCH.
    func enterBlocking() throws(Errno) {
        try inner.enterBlocking()
        SystemClock.sleep(nanos: blockNanos)
        try inner.leaveBlocking()
    }

    /// Nothing left to do: the kernel queued WAKE when the call returned.
    func leaveBlocking() throws(Errno) {}

    func checkpoint() throws(Errno) -> Bool { try inner.checkpoint() }
}

@Suite struct WakeTimingTests {
    static let blockNanos: UInt64 = 2_000_000
    static let iterations = 40

    /// Two workers that block `iterations` times each (2 ms) and compute 300 µs in between, on one
    /// server; returns the final snapshot and the trace.
    static func run(klib: Bool) throws -> (Snapshot, [TraceEvent]) {
        let hub = TraceHub(ringCapacity: 1 << 16)
        var c = EngineConfiguration(
            servers: 1, workers: 0, reservedWorkers: 2, backend: .emulated, hub: hub, pinThreads: false,
            workerStackBytes: 128 << 10)
        if klib {
            c.makeBackend = { _, options in
                KlibWakeBackend(try EmulatedBackend(options: options), blockNanos: blockNanos)
            }
        }
        let engine = try Engine(c)
        #expect(engine.backend.kind == (klib ? .kernel : .emulated))
        try engine.start()
        for i in 0..<2 {
            _ = try engine.spawn(name: "sleeper-\(i)") { ctx in
                for _ in 0..<iterations {
                    // With the double the 2 ms are in the "system call"; here 1 µs more.
                    try ctx.sleep(nanos: klib ? 1_000 : blockNanos)
                    try ctx.compute(nanos: 300_000)
                }
            }
        }
        #expect(waitUntil(seconds: 60) { engine.exitedWorkerCount == 2 })
        engine.stop()
        var events: [TraceEvent] = []
        _ = hub.drain { events.append($0) }
        #expect(hub.dropped == 0)
        // One server, one ring: drain order is the order the server traced them (timestamps are
        // clamped to be monotonic per ring, so equal ones must not be re-sorted).
        return (engine.snapshot(), events)
    }

    @Test(arguments: [true, false])
    func runRunnableAndBlockedAddUpToTheWorkersLife(klib: Bool) throws {
        let (snap, events) = try Self.run(klib: klib)
        for w in 0..<2 {
            let mine = events.filter { $0.worker == UInt32(w) }
            let start = try #require(mine.first { $0.kind == .register }).timestamp
            let end = try #require(mine.last { $0.kind == .exit }).timestamp
            let life = Double(end - start)
            let c = snap.workers[w]
            let sum = Double(c.runNanos + c.runnableNanos + c.blockedNanos)
            #expect(abs(sum - life) <= 0.02 * life, "worker \(w): run+runnable+blocked \(sum) ns vs life \(life) ns")
            // Every call lasted 2 ms; the blocked time runs from the server's receipt of the BLOCK
            // to the WAKE, so it may miss the server's reaction time, but it is not ~0.
            #expect(c.blockedNanos >= UInt64(Self.iterations) * Self.blockNanos / 2)
            print(
                "\(klib ? "klib double" : "emulated"): worker \(w) life \(Int(life / 1e6)) ms, run \(c.runNanos / 1_000_000) "
                    + "runnable \(c.runnableNanos / 1_000_000) blocked \(c.blockedNanos / 1_000_000) ms")
        }
    }

    @Test(arguments: [true, false])
    func tracedWakesCarryTheBlockedTimeAndPrecedeTheSwitch(klib: Bool) throws {
        let (_, events) = try Self.run(klib: klib)
        for w in 0..<2 {
            let mine = events.filter { $0.worker == UInt32(w) }
            // The first WAKE is the registration's; every other one ends a 2 ms call, and the blocked
            // time it carries (from the BLOCK's receipt) covers most of it.
            let wakes = mine.filter { $0.kind == .wake }.dropFirst()
            #expect(wakes.count == Self.iterations)
            let covered = wakes.filter { $0.arg >= Self.blockNanos / 2 }.count
            #expect(covered >= Self.iterations * 9 / 10, "blocked ns: \(wakes.map(\.arg))")
            // A switch-in never comes before the WAKE that made the worker runnable. (A BLOCK may be
            // handled after its own WAKE when both come back from one CTX_SWITCH: the queued events
            // go first. So BLOCK/WAKE order is not checked here.)
            var pendingWake: TraceEvent?
            for e in mine {
                switch e.kind {
                case .wake:
                    pendingWake = e
                case .switchTo:
                    if let p = pendingWake { #expect(e.timestamp >= p.timestamp, "switched in before the WAKE") }
                    pendingWake = nil
                default:
                    break
                }
            }
        }
    }
}
