import Synchronization
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// The engine's direct worker-to-worker handoff against the same ping-pong through the server, in
/// one run (`umcgtop bench --worker-handoff`).
///
/// Each measurement is a fresh engine with one server and two workers that pass the server back
/// and forth: `handoff` hands it straight to the peer (`WorkerContext.handoff(to:)`), `yield`
/// gives it back to the server, which runs the peer next (its run queue holds only the peer).
/// One cycle is worker 0 → worker 1 → worker 0 (two switches). Rounds interleave the modes (and
/// traced runs, when asked), so machine drift hits all alike; the result is the median round.
public enum WorkerHandoffBench {
    /// How a worker passes the server to its peer.
    public enum Mode: String, Sendable, CaseIterable {
        /// `ctx.yield()`: the server gets WAIT and switches to the peer (the round trip).
        case yield
        /// `ctx.handoff(to: peer)`: the worker-to-worker switch.
        case handoff
    }

    /// One mode's measurement.
    public struct Row: Sendable, Equatable {
        /// The mode.
        public var mode: Mode
        /// Whether a trace hub was attached (drained by the measuring thread).
        public var tracing: Bool
        /// Median cycles per second over the rounds.
        public var cyclesPerSecond: Double
        /// Cycles per second of every round, in order.
        public var rounds: [Double]
        /// Share of `handoff` calls that went to the peer directly (1 for `yield`).
        public var directShare: Double

        /// A row as measured (or for an output test).
        public init(mode: Mode, tracing: Bool, cyclesPerSecond: Double, rounds: [Double], directShare: Double) {
            self.mode = mode
            self.tracing = tracing
            self.cyclesPerSecond = cyclesPerSecond
            self.rounds = rounds
            self.directShare = directShare
        }
    }

    /// Runs `rounds` rounds of every mode (and traced copies when `tracing`), `seconds` each, on
    /// the emulation with `handoff` as its park/unpark mode.
    public static func run(
        seconds: Double, rounds: Int, handoff: HandoffMode = .adaptive, tracing: Bool = false
    ) throws -> [Row] {
        var cases: [(Mode, Bool)] = Mode.allCases.map { ($0, false) }
        if tracing { cases += Mode.allCases.map { ($0, true) } }
        var perRound: [[Double]] = Array(repeating: [], count: cases.count)
        var direct = [Double](repeating: 0, count: cases.count)
        for _ in 0..<max(1, rounds) {
            for (i, c) in cases.enumerated() {
                let (rate, share) = try measure(c.0, tracing: c.1, seconds: seconds, handoff: handoff)
                perRound[i].append(rate)
                direct[i] += share / Double(max(1, rounds))
            }
        }
        return cases.enumerated().map { i, c in
            let sorted = perRound[i].sorted()
            return Row(
                mode: c.0, tracing: c.1, cyclesPerSecond: sorted[sorted.count / 2], rounds: perRound[i],
                directShare: direct[i])
        }
    }

    /// One engine, two workers passing the server by `mode` for `seconds` after a warm-up:
    /// cycles per second and the share of calls that were direct handoffs.
    static func measure(
        _ mode: Mode, tracing: Bool, seconds: Double, handoff: HandoffMode
    ) throws -> (Double, Double) {
        var c = EngineConfiguration(servers: 1, workers: 0, reservedWorkers: 2, handoff: handoff, backend: .emulated)
        let hub = tracing ? TraceHub(ringCapacity: 1 << 16) : nil
        c.hub = hub
        let engine = try Engine(c)
        // Words 0, 1: calls per worker; 2, 3: of them, direct handoffs.
        let counts = PaddedWords(words32: 0, words64: 4)
        for me in 0..<2 {
            _ = try engine.spawn(name: "\(mode.rawValue)-\(me)") { ctx in
                let calls = counts.word64(me)
                let direct = counts.word64(2 + me)
                while !ctx.shouldStop {
                    if mode == .handoff {
                        // Relaxed: a count the measuring thread samples.
                        if try ctx.handoff(to: 1 - me) { direct.pointee.add(1, ordering: .relaxed) }
                    } else {
                        try ctx.yield()
                    }
                    // Relaxed: a count the measuring thread samples.
                    calls.pointee.add(1, ordering: .relaxed)
                }
            }
        }
        try engine.start()
        defer { _ = engine.stop() }
        func total() -> (UInt64, UInt64) {
            // Relaxed: samples of monotonic counts.
            let calls =
                counts.word64(0).pointee.load(ordering: .relaxed) &+ counts.word64(1).pointee.load(ordering: .relaxed)
            let direct =
                counts.word64(2).pointee.load(ordering: .relaxed) &+ counts.word64(3).pointee.load(ordering: .relaxed)
            return (calls, direct)
        }
        func pass(nanos: UInt64) {
            let end = SystemClock.monotonicNanos() &+ nanos
            while SystemClock.monotonicNanos() < end {
                _ = hub?.drain { _ in }
                SystemClock.sleep(nanos: 1_000_000)
            }
        }
        pass(nanos: 50_000_000)  // warm-up: both workers registered and switching
        let (c0, d0) = total()
        let t0 = SystemClock.monotonicNanos()
        pass(nanos: UInt64(seconds * 1e9))
        let (c1, d1) = total()
        let t1 = SystemClock.monotonicNanos()
        let calls = Double(c1 &- c0)
        let elapsed = Double(max(1, t1 &- t0)) / 1e9
        let share = mode == .handoff ? (calls > 0 ? Double(d1 &- d0) / calls : 0) : 1
        // Every call is one switch; a cycle is two.
        return (calls / 2 / elapsed, share)
    }
}
