import Synchronization
import Testing

@testable import UMCGSystem

/// The TSC trace clock: monotonic, within `tolerance` of CLOCK_MONOTONIC, and its fallback.
@Suite struct TraceClockTests {
    /// The stated error bound over a short interval after calibration (docs/PERFORMANCE.md).
    static let tolerance: UInt64 = 50_000

    /// Reads `clock` for `nanos` of CLOCK_MONOTONIC, each read bracketed by two CLOCK_MONOTONIC reads;
    /// checks it never goes back and stays within `tolerance` of its bracket. `between` runs every
    /// 1,000 reads. Returns the number of reads.
    static func checkAgainstMonotonic(
        _ clock: TraceClock, nanos: UInt64, tolerance: UInt64, between: () -> Void = {}
    ) -> Int {
        let start = SystemClock.monotonicNanos()
        var previous: UInt64 = 0
        var reads = 0
        var worst: (read: UInt64, low: UInt64, high: UInt64)?
        var backwards = 0
        while true {
            let low = SystemClock.monotonicNanos()
            let read = clock.nanos()
            let high = SystemClock.monotonicNanos()
            if read < previous { backwards += 1 }
            previous = read
            if read &+ tolerance < low || read > high &+ tolerance, worst == nil { worst = (read, low, high) }
            reads += 1
            if reads % 1000 == 0 { between() }
            if high &- start >= nanos { break }
        }
        #expect(backwards == 0)
        #expect(worst == nil, "read \(String(describing: worst)) outside CLOCK_MONOTONIC ± \(tolerance) ns")
        return reads
    }

    @Test(.enabled(if: TimestampCounter.isInvariant, "no invariant TSC on this CPU"))
    func tscConversionIsMonotonicAndCloseToCLOCK_MONOTONIC() {
        let clock = TraceClock(preferring: .tsc)
        #expect(clock.source == .tsc)
        #expect(Self.checkAgainstMonotonic(clock, nanos: 20_000_000, tolerance: Self.tolerance) > 1000)
    }

    @Test(.enabled(if: TimestampCounter.isInvariant, "no invariant TSC on this CPU"))
    func reanchoringKeepsItMonotonicAndClose() {
        let clock = TraceClock(preferring: .tsc)
        var errors: [Int64] = []
        _ = Self.checkAgainstMonotonic(clock, nanos: 20_000_000, tolerance: Self.tolerance) {
            if let e = clock.reanchor() { errors.append(e) }
        }
        #expect(!errors.isEmpty)
        #expect(errors.allSatisfy { $0.magnitude <= Self.tolerance })
    }

    @Test(.enabled(if: TimestampCounter.isInvariant, "no invariant TSC on this CPU"))
    func aMappingBehindStepsForward() throws {
        let clock = TraceClock(preferring: .tsc)
        // Relaxed: this test is the only thread using the clock. The mapping now lags by 10 ms.
        clock.anchorNanos.store(clock.anchorNanos.load(ordering: .relaxed) &- 10_000_000, ordering: .relaxed)
        let before = clock.nanos()
        let error = try #require(clock.reanchor())
        #expect(error >= 10_000_000 - Int64(Self.tolerance) && error <= 10_000_000 + Int64(Self.tolerance))
        #expect(clock.slewTicks.load(ordering: .relaxed) == 0)  // stepped, no slew
        #expect(clock.nanos() > before)
        _ = Self.checkAgainstMonotonic(clock, nanos: 5_000_000, tolerance: Self.tolerance)
    }

    @Test(.enabled(if: TimestampCounter.isInvariant, "no invariant TSC on this CPU"))
    func aMappingAheadSlowsDownInsteadOfGoingBack() throws {
        let clock = TraceClock(preferring: .tsc)
        // Relaxed: single-threaded test. The mapping now runs 200 µs ahead.
        clock.anchorNanos.store(clock.anchorNanos.load(ordering: .relaxed) &+ 200_000, ordering: .relaxed)
        let before = clock.nanos()
        let error = try #require(clock.reanchor())
        #expect(error <= -200_000 + Int64(Self.tolerance) && error >= -200_000 - Int64(Self.tolerance))
        let after = clock.nanos()
        #expect(after >= before)  // continuous: no step back
        // Relaxed: single-threaded test.
        let slew = clock.slewScale.load(ordering: .relaxed)
        let base = clock.baseScale.load(ordering: .relaxed)
        #expect(slew < base)
        #expect(base - slew <= base / 1000 + 1)
        #expect(clock.slewTicks.load(ordering: .relaxed) > 0)
    }

    @Test func theFallbackIsSelectableAndReadsCLOCK_MONOTONIC() {
        for clock in [TraceClock(preferring: .monotonic), TraceClock(preferring: .tsc, tscUsable: false)] {
            #expect(clock.source == .monotonic)
            #expect(clock.reanchor() == nil)
            _ = Self.checkAgainstMonotonic(clock, nanos: 2_000_000, tolerance: 0)
        }
        #expect(TraceClock.Source(environmentValue: "monotonic") == .monotonic)
        #expect(TraceClock.Source(environmentValue: nil) == .tsc)
        #expect(TraceClock.Source(environmentValue: "tsc") == .tsc)
        #expect(TraceClock.shared.source == (TimestampCounter.isInvariant ? .tsc : .monotonic))
    }

    @Test func fixedPointArithmetic() throws {
        // 3 GHz: 1/3 ns per tick.
        let scale = try #require(TraceClock.scale(nanos: 1_000_000_000, ticks: 3_000_000_000))
        #expect(scale == (UInt64(1) << 32) / 3)
        let back = TraceClock.mul(3_000_000_000, scale)
        #expect(back <= 1_000_000_000 && back >= 1_000_000_000 - 2)
        #expect(TraceClock.ticks(nanos: 1_000_000_000, scale: scale) >= 3_000_000_000)
        #expect(TraceClock.scale(nanos: 1, ticks: 0) == nil)
        // Continuous at the end of the slew window, and a tick before the anchor maps before it.
        let slew = scale - scale / 1000
        let atEnd = TraceClock.convert(
            1_000, anchorTicks: 0, anchorNanos: 500, slew: slew, window: 1_000, base: scale)
        let past = TraceClock.convert(
            1_001, anchorTicks: 0, anchorNanos: 500, slew: slew, window: 1_000, base: scale)
        #expect(past >= atEnd && past - atEnd <= 1)
        let one = UInt64(1) << 32  // 1 ns per tick
        #expect(TraceClock.convert(90, anchorTicks: 120, anchorNanos: 500, slew: one, window: 0, base: one) == 470)
    }

    @Test(.enabled(if: TimestampCounter.isInvariant, "no invariant TSC on this CPU"))
    func readersOnManyThreadsNeverSeeTimeGoBackWhileItReanchors() async {
        let clock = TraceClock(preferring: .tsc)
        let stop = StopFlag()
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var previous: UInt64 = 0
                    var backwards = 0
                    // Relaxed: a stop flag.
                    while !stop.value.load(ordering: .relaxed) {
                        let t = clock.nanos()
                        if t < previous { backwards += 1 }
                        previous = t
                    }
                    return backwards
                }
            }
            for _ in 0..<200 { clock.reanchor() }
            // Relaxed: a stop flag.
            stop.value.store(true, ordering: .relaxed)
            var total = 0
            for await b in group { total += b }
            #expect(total == 0)
        }
    }
}

/// A stop flag shared with reader tasks.
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}
