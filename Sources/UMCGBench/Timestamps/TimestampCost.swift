import UMCGSystem

/// What one trace timestamp costs, each way: CLOCK_MONOTONIC through the vDSO against the TSC trace
/// clock, measured in one run (`umcgtop bench --timestamps`).
///
/// Each round times `calls` back-to-back reads of every source in turn (so machine drift hits all
/// alike) and keeps ns per call; the result is the median round per source.
public enum TimestampCost {
    /// A timestamp source under test.
    public enum Source: String, Sendable, CaseIterable {
        /// `clock_gettime(CLOCK_MONOTONIC)` (the shim, the vDSO): what traces used before.
        case clockGettime = "clock_gettime"
        /// `TraceClock` on the TSC: RDTSC and the calibrated conversion to nanoseconds.
        case traceClockTSC = "trace-clock-tsc"
        /// `TraceClock` forced onto its CLOCK_MONOTONIC fallback.
        case traceClockMonotonic = "trace-clock-monotonic"
        /// RDTSC alone, no conversion.
        case rdtsc
    }

    /// One source's measurement.
    public struct Row: Sendable, Equatable {
        /// The source.
        public var source: Source
        /// Median ns per call over the rounds.
        public var nanosPerCall: Double
        /// ns per call of every round, in order.
        public var rounds: [Double]
    }

    /// Runs `rounds` rounds of `calls` reads per source. The TSC rows are left out when the TSC is
    /// not invariant (the trace clock would fall back).
    public static func measure(calls: Int = 2_000_000, rounds: Int = 5) -> [Row] {
        let tscClock = TraceClock(preferring: .tsc)
        let fallback = TraceClock(preferring: .monotonic)
        let sources = Source.allCases.filter {
            tscClock.source == .tsc || ($0 != .traceClockTSC && $0 != .rdtsc)
        }
        var perRound: [Source: [Double]] = [:]
        for _ in 0..<max(1, rounds) {
            for source in sources {
                let nanos: UInt64
                switch source {
                case .clockGettime: nanos = time(calls) { SystemClock.monotonicNanos() }
                case .traceClockTSC: nanos = time(calls) { tscClock.nanos() }
                case .traceClockMonotonic: nanos = time(calls) { fallback.nanos() }
                case .rdtsc: nanos = time(calls) { TimestampCounter.read() }
                }
                perRound[source, default: []].append(Double(nanos) / Double(max(1, calls)))
            }
        }
        return sources.map { s in
            let r = perRound[s] ?? []
            let sorted = r.sorted()
            return Row(source: s, nanosPerCall: sorted.isEmpty ? 0 : sorted[sorted.count / 2], rounds: r)
        }
    }

    /// Wall time of `calls` calls of `read`, in ns; the values are folded so none is optimised away.
    @inline(never)
    static func time(_ calls: Int, _ read: () -> UInt64) -> UInt64 {
        var fold: UInt64 = 0
        let start = SystemClock.monotonicNanos()
        for _ in 0..<calls { fold ^= read() }
        let end = SystemClock.monotonicNanos()
        sink(fold)
        return end &- start
    }

    @inline(never)
    static func sink(_ value: UInt64) { _ = value }
}
