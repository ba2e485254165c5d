import UMCGSystem

/// A fixed-size histogram of nanosecond values in power-of-two buckets.
///
/// Bucket `b` holds values whose bit length is `b`: bucket 0 holds 0, bucket 1 holds 1,
/// bucket 2 holds 2–3, bucket `b` holds 2^(b-1) … 2^b − 1. Recording never allocates.
public struct Log2Histogram: Equatable, Sendable {
    /// Number of buckets: bit lengths 0 … 64.
    public static let bucketCount = 65
    /// Counts per bucket.
    public private(set) var buckets: [UInt64]
    /// Values recorded.
    public private(set) var count: UInt64 = 0

    /// Creates an empty histogram.
    public init() {
        buckets = Array(repeating: 0, count: Self.bucketCount)
    }

    /// The bucket a value falls in.
    @inlinable
    public static func bucket(of value: UInt64) -> Int { UInt64.bitWidth - value.leadingZeroBitCount }

    /// The largest value bucket `b` holds.
    public static func upperBound(ofBucket b: Int) -> UInt64 {
        if b <= 0 { return 0 }
        if b >= 64 { return .max }
        return (UInt64(1) << UInt64(b)) - 1
    }

    /// Records one value.
    public mutating func record(_ value: UInt64) {
        buckets[Self.bucket(of: value)] &+= 1
        count &+= 1
    }

    /// The upper bound of the bucket holding the `q`-quantile (0…1), nil when empty.
    public func percentile(_ q: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let clamped = min(max(q, 0), 1)
        let rank = max(1, UInt64((clamped * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (b, n) in buckets.enumerated() {
            seen &+= n
            if seen >= rank { return Self.upperBound(ofBucket: b) }
        }
        return Self.upperBound(ofBucket: Self.bucketCount - 1)
    }

    /// The lowest and highest non-empty buckets, nil when empty.
    public var occupiedRange: ClosedRange<Int>? {
        guard let lo = buckets.firstIndex(where: { $0 > 0 }),
            let hi = buckets.lastIndex(where: { $0 > 0 })
        else { return nil }
        return lo...hi
    }

    /// Empties the histogram.
    public mutating func reset() {
        for i in buckets.indices { buckets[i] = 0 }
        count = 0
    }
}
