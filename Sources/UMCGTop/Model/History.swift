import UMCGSystem

/// A fixed-capacity ring of samples (oldest dropped first) for sparklines and graphs.
public struct History: Equatable, Sendable {
    private var storage: [Double]
    private var head = 0
    /// Samples held (≤ capacity).
    public private(set) var count = 0

    /// Creates an empty history of `capacity` samples.
    public init(capacity: Int) {
        storage = Array(repeating: 0, count: max(1, capacity))
    }

    /// Maximum samples kept.
    public var capacity: Int { storage.count }

    /// Appends a sample, dropping the oldest when full.
    public mutating func append(_ value: Double) {
        storage[head] = value
        head = (head + 1) % storage.count
        if count < storage.count { count += 1 }
    }

    /// The last `n` samples (or all), oldest first.
    public func last(_ n: Int) -> [Double] {
        let k = min(max(n, 0), count)
        var out: [Double] = []
        out.reserveCapacity(k)
        var i = (head - k + storage.count) % storage.count
        for _ in 0..<k {
            out.append(storage[i])
            i = (i + 1) % storage.count
        }
        return out
    }

    /// All samples, oldest first.
    public var values: [Double] { last(count) }

    /// The newest sample, nil when empty.
    public var latest: Double? { count == 0 ? nil : storage[(head - 1 + storage.count) % storage.count] }
}
