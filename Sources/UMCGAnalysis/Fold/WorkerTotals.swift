/// Lossless-style totals of one worker (snapshot base plus events seen since).
public struct WorkerTotals: Equatable, Sendable {
    /// Times switched to.
    public var switches: UInt64 = 0
    /// Blocking sections entered.
    public var blocks: UInt64 = 0
    /// Times woken (runnable again).
    public var wakes: UInt64 = 0
    /// Yields and handoffs.
    public var waits: UInt64 = 0
    /// Times preempted.
    public var preemptions: UInt64 = 0
    /// Timeouts.
    public var timeouts: UInt64 = 0
    /// ns running.
    public var runNanos: UInt64 = 0
    /// ns runnable, waiting for a server.
    public var runnableNanos: UInt64 = 0
    /// ns blocked.
    public var blockedNanos: UInt64 = 0

    /// Creates zero totals.
    public init() {}
}
