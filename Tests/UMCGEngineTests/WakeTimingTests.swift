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
            // Every block lasted at least the 2 ms of its call: blocked is not ~0.
            #expect(c.blockedNanos >= UInt64(Self.iterations) * Self.blockNanos)
            print(
                "\(klib ? "klib double" : "emulated"): worker \(w) life \(Int(life / 1e6)) ms, run \(c.runNanos / 1_000_000) "
                    + "runnable \(c.runnableNanos / 1_000_000) blocked \(c.blockedNanos / 1_000_000) ms")
        }
    }

    @Test(arguments: [true, false])
    func tracedWakesFollowTheirBlockAndPrecedeTheSwitch(klib: Bool) throws {
        let (_, events) = try Self.run(klib: klib)
        for w in 0..<2 {
            let mine = events.filter { $0.worker == UInt32(w) }
            var lastBlock: TraceEvent?
            var pendingWake: TraceEvent?
            var wakes = 0
            for e in mine {
                switch e.kind {
                case .block:
                    lastBlock = e
                case .wake:
                    guard let b = lastBlock else { continue }  // the registration's WAKE
                    // The blocked time it carries covers the call (the BLOCK's own timestamp may be
                    // clamped up to the ring's last one, so the gap between the two is not it).
                    #expect(e.timestamp >= b.timestamp, "WAKE before its BLOCK")
                    #expect(e.arg >= Self.blockNanos, "WAKE says blocked \(e.arg) ns")
                    pendingWake = e
                    lastBlock = nil
                    wakes += 1
                case .switchTo:
                    if let p = pendingWake { #expect(e.timestamp >= p.timestamp, "switched in before the WAKE") }
                    pendingWake = nil
                default:
                    break
                }
            }
            #expect(wakes == Self.iterations)
        }
    }
}
