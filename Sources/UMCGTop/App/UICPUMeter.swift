import UMCGSystem

/// The calling thread's CPU share, sampled about once a second (CLOCK_THREAD_CPUTIME_ID).
///
/// Threading rule: create and sample on the thread being measured (the UI thread).
public struct UICPUMeter {
    private var lastWall: UInt64
    private var lastCPU: UInt64
    /// CPU time / wall time of the last completed window, in percent of one CPU.
    public private(set) var percent: Double = 0
    /// Window length in ns.
    public let windowNanos: UInt64

    /// Starts measuring now.
    public init(windowNanos: UInt64 = 1_000_000_000) {
        self.windowNanos = windowNanos
        lastWall = SystemClock.monotonicNanos()
        lastCPU = SystemClock.threadCPUNanos()
    }

    /// Closes the window when a second has passed; returns true when `percent` changed.
    public mutating func sample(now: UInt64 = SystemClock.monotonicNanos()) -> Bool {
        guard now >= lastWall, now - lastWall >= windowNanos else { return false }
        let cpu = SystemClock.threadCPUNanos()
        percent = Self.percent(cpuNanos: cpu &- lastCPU, wallNanos: now - lastWall)
        lastWall = now
        lastCPU = cpu
        return true
    }

    /// `cpuNanos / wallNanos` as a percentage (0 for an empty window).
    public static func percent(cpuNanos: UInt64, wallNanos: UInt64) -> Double {
        wallNanos == 0 ? 0 : Double(cpuNanos) * 100 / Double(wallNanos)
    }
}
