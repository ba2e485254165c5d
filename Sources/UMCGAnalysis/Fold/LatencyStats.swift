/// Latency samples of one entity: exact count, sum and max; percentiles from up to `cap` kept samples.
///
/// Memory is bounded: past `cap` samples, reservoir sampling (deterministic seed) keeps a uniform subset,
/// so percentiles become estimates while count, mean and max stay exact.
public struct LatencyStats: Sendable, Equatable {
    /// Samples seen.
    public private(set) var count: UInt64 = 0
    /// Sum of all samples (ns).
    public private(set) var sum: UInt64 = 0
    /// Largest sample (ns).
    public private(set) var max: UInt64 = 0
    /// Kept samples (all of them while count ≤ cap).
    private var samples: [UInt64] = []
    private let cap: Int
    private var rng: UInt64 = 0x853C_49E6_748F_EA9B

    /// Creates empty stats keeping at most `cap` samples for percentiles.
    public init(cap: Int = 100_000) { self.cap = Swift.max(1, cap) }

    /// Adds one sample (ns).
    public mutating func add(_ value: UInt64) {
        count += 1
        sum &+= value
        max = Swift.max(max, value)
        if samples.count < cap {
            samples.append(value)
        } else {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let slot = (rng >> 11) % count
            if slot < UInt64(cap) { samples[Int(slot)] = value }
        }
    }

    /// Mean in ns (0 without samples).
    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// True when percentiles come from a subset of the samples.
    public var isEstimate: Bool { count > UInt64(samples.count) }

    /// The `p`-th percentile (0…100), nearest-rank over the kept samples; 0 without samples.
    public func percentile(_ p: Double) -> UInt64 {
        if samples.isEmpty { return 0 }
        let sorted = samples.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, rank - 1))]
    }
}
