import UMCGSystem

/// What a worker thread runs: your own code on the engine.
///
/// `run` is called once, on the worker's own thread, after it registered with UMCG; the worker
/// unregisters (EXIT) when it returns. Loop until `ctx.shouldStop` and give the engine its
/// scheduling points through `ctx` (`yield()`, `checkpoint()`, `blocking { }`, …): `Engine.stop()`
/// waits for every worker to return. A thrown error ends the worker as failed (EXIT with reason
/// "workload failed", counted in `Engine.failedWorkers`); the engine and the other workers carry on.
///
/// ```swift
/// struct Counter: Workload {
///     func run(_ ctx: inout WorkerContext) throws {
///         var n = 0
///         while !ctx.shouldStop {
///             n += 1
///             try ctx.compute(nanos: 50_000)
///             try ctx.yield()
///         }
///     }
/// }
/// try engine.spawn(name: "counter-0", Counter())
/// ```
public protocol Workload: Sendable {
    /// Runs the worker's work until `ctx.shouldStop` (or until it is done).
    func run(_ ctx: inout WorkerContext) throws
}

/// A workload given as a closure (`Engine.spawn(name:_:)` with a trailing closure).
struct ClosureWorkload: Workload {
    let body: @Sendable (inout WorkerContext) throws -> Void

    func run(_ ctx: inout WorkerContext) throws { try body(&ctx) }
}
