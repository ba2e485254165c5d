import UMCGSystem

@testable import UMCGEngine

/// The stress mix: mostly yields, short blocking sections, timed WAITs, handoffs; `steps` of
/// them, then the worker returns and unregisters on its own.
struct StressWorkload: Workload {
    var steps: Int

    func run(_ ctx: inout WorkerContext) throws {
        var done = 0
        while done < steps && !ctx.shouldStop {
            try Self.step(&ctx)
            done += 1
        }
    }

    static func step(_ ctx: inout WorkerContext) throws(Errno) {
        let roll = ctx.rng.percent()
        switch roll {
        case 0..<65:
            try ctx.yield()
        case 65..<75:
            try ctx.sleep(nanos: ctx.rng.next(in: 1_000...100_000))
        case 75..<82:
            try ctx.readTimer(nanos: ctx.rng.next(in: 1_000...100_000))
        case 82..<90:
            try ctx.timedWait(nanos: ctx.rng.next(in: 50_000...500_000))
        case 90..<95:
            let n = ctx.workerCount
            try ctx.handoff(to: Int(ctx.rng.next() % UInt64(n)))
        default:
            try ctx.compute(nanos: ctx.rng.next(in: 1_000...50_000))
        }
    }
}

/// A worker that fails after `steps` steps of a built-in workload: it throws, as a failing
/// workload does, or its thread ends while it runs, without UNREGISTER.
struct FaultyWorkload: Workload {
    /// What the worker does at the fault.
    enum Kind: Sendable, Equatable {
        /// The workload throws (the engine records a failure, then unregisters: EXIT).
        case workloadThrows
        /// The thread returns while RUNNING, without UNREGISTER (the thread-exit hook sends EXIT).
        case threadExits
    }

    var base: BuiltinWorkload
    var steps: Int
    var kind: Kind

    /// The error the failing workload throws.
    static let injectedError = Errno(rawValue: 5)  // EIO

    func run(_ ctx: inout WorkerContext) throws {
        var done = 0
        while done < steps && !ctx.shouldStop {
            try base.step(&ctx)
            done += 1
        }
        switch kind {
        case .workloadThrows: throw Self.injectedError
        case .threadExits: ctx.endThreadWithoutUnregistering()
        }
    }
}
