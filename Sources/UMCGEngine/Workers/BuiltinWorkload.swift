import UMCGSystem

/// The workloads umcgtop ships (`--workload`), built on the public `Workload` API.
public enum BuiltinWorkload: String, Sendable, CaseIterable, Codable, Workload {
    /// Yield in a loop (the Nanos benchmark shape, many workers).
    case pingpong
    /// Compute bursts, yields, blocking sleeps and reads, timed WAITs, handoffs, occasional long
    /// bursts: every event kind within a couple of seconds (the default live scenario).
    case mixed
    /// Blocking-heavy: short computes between sleeps and timer reads.
    case io
    /// Long compute runs that get preempted.
    case cpu

    /// Runs steps until the engine stops.
    public func run(_ ctx: inout WorkerContext) throws {
        switch self {
        case .pingpong:
            // The benchmark's loop, with nothing between two yields.
            while !ctx.shouldStop { try ctx.yield() }
        default:
            while !ctx.shouldStop { try step(&ctx) }
        }
    }

    /// One step of the workload (tests run a given number of them).
    public func step(_ ctx: inout WorkerContext) throws(Errno) {
        switch self {
        case .pingpong:
            try ctx.yield()
        case .mixed:
            try Self.mixedStep(&ctx)
        case .io:
            try ctx.compute(nanos: ctx.rng.next(in: 5_000...40_000))
            if ctx.rng.percent() < 50 {
                try ctx.sleep(nanos: ctx.rng.next(in: 50_000...2_000_000))
            } else {
                try ctx.readTimer(nanos: ctx.rng.next(in: 50_000...2_000_000))
            }
        case .cpu:
            try ctx.compute(nanos: ctx.rng.next(in: 20_000_000...250_000_000))
            if ctx.rng.percent() < 20 { try ctx.yield() }
        }
    }

    /// Mixed: every event kind shows within a couple of seconds with the default 8 workers, while
    /// the workers need about one CPU in total (room for the baselines and the UI on small machines).
    static func mixedStep(_ ctx: inout WorkerContext) throws(Errno) {
        let roll = ctx.rng.percent()
        switch roll {
        case 0..<35:  // compute burst, then yield
            try ctx.compute(nanos: ctx.rng.next(in: 10_000...600_000))
            try ctx.yield()
        case 35..<55:  // blocking sleep
            try ctx.compute(nanos: ctx.rng.next(in: 5_000...100_000))
            try ctx.sleep(nanos: ctx.rng.next(in: 200_000...5_000_000))
        case 55..<72:  // blocking read
            try ctx.compute(nanos: ctx.rng.next(in: 5_000...100_000))
            try ctx.readTimer(nanos: ctx.rng.next(in: 200_000...5_000_000))
        case 72..<82:  // WAIT with an absolute timeout → TIMEOUT
            try ctx.timedWait(nanos: ctx.rng.next(in: 500_000...8_000_000))
        case 82..<90:  // hand the server to another worker
            let n = ctx.workerCount
            try ctx.handoff(to: Int(ctx.rng.next() % UInt64(n)))
        case 90..<99:
            try ctx.yield()
        default:  // occasionally a long burst → PREEMPT (at 100 ms)
            if ctx.rng.percent() < 7 {
                try ctx.compute(nanos: ctx.rng.next(in: 110_000_000...150_000_000))
            } else {
                try ctx.compute(nanos: ctx.rng.next(in: 1_000_000...3_000_000))
            }
        }
    }
}
