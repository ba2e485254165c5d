/// A small fast PRNG (SplitMix64): deterministic per seed, no allocation. The workloads' random
/// choices, and the tests' and benchmarks' reproducible inputs, all come from this one.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    /// Creates a generator.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `range`.
    public mutating func next(in range: ClosedRange<UInt64>) -> UInt64 {
        let span = range.upperBound &- range.lowerBound &+ 1
        return span == 0 ? next() : range.lowerBound &+ next() % span  // span 0: the full UInt64 range
    }

    /// A percentage roll 0..<100.
    public mutating func percent() -> Int { Int(next() % 100) }
}
