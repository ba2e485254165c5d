import UMCGTrace

/// The active time of a baseline slice, from `.baselineSample` events alone.
///
/// The live baselines run their methods in turn on one controller thread (futex, condvar, UMCG, futex…),
/// and each slice ends with one `.baselineSample` event (`arg` = the slice's cycles). A slice therefore
/// started when the previous slice of any method ended: its active time is the time since the previous
/// sample of any method (rest between slices included), not since the same method's previous sample,
/// which spans the other methods' slices too. The first sample has no known start and counts 0.
///
/// The fold (the dashboard's and headless JSON's sample fallback) and the exporters' `SwitchRateMeter`
/// both use it, so they give one number; keyframe counters (`BaselineCounters.activeNanos`), when the
/// recording has them, are exact and win everywhere.
public struct BaselineSliceClock: Sendable, Equatable {
    private var lastSampleEnd: UInt64?

    /// A clock that has seen no sample.
    public init() {}

    /// Takes the sample ending at `timestamp`; returns its slice's (start, active ns), or nil for the first
    /// sample or one not after the previous one.
    public mutating func slice(endingAt timestamp: UInt64) -> (start: UInt64, activeNanos: UInt64)? {
        defer { lastSampleEnd = max(lastSampleEnd ?? 0, timestamp) }
        guard let start = lastSampleEnd, timestamp > start else { return nil }
        return (start, timestamp - start)
    }
}
