import Histogram

/// Nanosecond latencies in an HdrHistogram with two significant digits: every percentile is
/// within 1% of the exact value (a value's bucket is at most 1/128 of it wide), count and max
/// are exact, and memory grows only with the largest value recorded (about 1.8k counters at 1 ms).
///
/// Values above `maxTrackable` (about 73 minutes) are recorded as `maxTrackable`, so an
/// untrusted trace cannot make it allocate without bound.
public struct LatencyHistogram: Sendable, Equatable {
    /// The largest value kept as it is (2^42 ns, about 73 minutes); larger values are clamped.
    public static let maxTrackable: UInt64 = 1 << 42
    /// Lowest and highest power-of-two buckets the detail view draws (bit lengths 0 … 64).
    public static let log2BucketCount = 65

    private var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .two)
    /// Sum of the recorded values (ns), wrapping.
    public private(set) var sum: UInt64 = 0

    /// Creates an empty histogram.
    public init() {}

    /// Values recorded.
    public var count: UInt64 { histogram.totalCount }

    /// The largest value recorded (clamped at `maxTrackable`), 0 when empty.
    public var max: UInt64 { count == 0 ? 0 : histogram.maxRecorded }

    /// Mean in ns (0 when empty).
    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// Records one value (ns).
    public mutating func record(_ value: UInt64) {
        record(value, count: 1)
    }

    /// Records `n` occurrences of one value (ns).
    public mutating func record(_ value: UInt64, count n: UInt64) {
        guard n > 0 else { return }
        let v = Swift.min(value, Self.maxTrackable)
        histogram.record(v, count: n)
        sum &+= v &* n
    }

    /// Records `n` occurrences of `value` (at most `maxTrackable`) in the buckets only, leaving the
    /// sum to `addToSum` (`LatencyBatch` merges exact sums apart from the bucket counts).
    mutating func recordBucket(_ value: UInt64, count n: UInt64) {
        histogram.record(value, count: n)
    }

    /// Adds `total` (ns, already clamped values) to the sum.
    mutating func addToSum(_ total: UInt64) { sum &+= total }

    /// The `q`-quantile (0…1) within 1% of the exact nearest-rank value, nil when empty.
    public func percentile(_ q: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let clamped = Swift.min(Swift.max(q, 0), 1)
        return histogram.valueAtPercentile(clamped * 100)
    }

    /// Counts per power-of-two bucket (bucket `b` holds values of bit length `b`), for drawing.
    public var log2Buckets: [UInt64] {
        var buckets = [UInt64](repeating: 0, count: Self.log2BucketCount)
        for v in histogram.recordedValues() {
            let representative = histogram.medianEquivalentForValue(v.value)
            buckets[UInt64.bitWidth - representative.leadingZeroBitCount] &+= v.count
        }
        return buckets
    }

    /// Every distinct recorded value (the median of its bucket) and its count, ascending.
    public var recorded: [(value: UInt64, count: UInt64)] {
        histogram.recordedValues().map { (histogram.medianEquivalentForValue($0.value), $0.count) }
    }

    /// How many values `value`'s bucket holds.
    public func count(at value: UInt64) -> UInt64 {
        let v = Swift.min(value, Self.maxTrackable)
        // The counts array covers `highestTrackableValue` and grows on demand: beyond it, nothing.
        guard v <= histogram.highestTrackableValue else { return 0 }
        return UInt64(histogram.countForValue(v))
    }

    /// Adds every value of `other`.
    public mutating func add(_ other: LatencyHistogram) {
        for (value, n) in other.recorded { histogram.record(value, count: n) }
        sum &+= other.sum
    }

    /// Empties the histogram.
    public mutating func reset() {
        histogram.reset()
        sum = 0
    }

    /// Same recorded values (bucket by bucket) and sum.
    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        guard a.count == b.count, a.sum == b.sum else { return false }
        return a.recorded.elementsEqual(b.recorded) { $0.value == $1.value && $0.count == $1.count }
    }
}
