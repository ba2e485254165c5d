/// Latency samples of one entity for `umcgtop report`: exact count, sum and max; percentiles from
/// a `LatencyHistogram`, within 1% of the exact nearest-rank value whatever the number of samples.
public struct LatencyStats: Sendable, Equatable {
    /// The samples, bucketed to two significant digits.
    public private(set) var histogram = LatencyHistogram()
    /// Largest sample (ns), exact.
    public private(set) var max: UInt64 = 0
    /// Sum of all samples (ns), exact (wrapping).
    public private(set) var sum: UInt64 = 0

    /// Creates empty stats.
    public init() {}

    /// Samples seen.
    public var count: UInt64 { histogram.count }

    /// Adds one sample (ns).
    public mutating func add(_ value: UInt64) {
        histogram.record(value)
        sum &+= value
        max = Swift.max(max, value)
    }

    /// Mean in ns (0 without samples).
    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// True when percentiles may differ from the exact values (by under 1%): some sample is at
    /// least 256 ns, where buckets get wider than 1 ns.
    public var isEstimate: Bool { max >= 256 }

    /// The `p`-th percentile (0…100), within 1% of the exact nearest-rank value; 0 without samples.
    public func percentile(_ p: Double) -> UInt64 {
        guard let v = histogram.percentile(p / 100) else { return 0 }
        return Swift.min(v, max)
    }
}
