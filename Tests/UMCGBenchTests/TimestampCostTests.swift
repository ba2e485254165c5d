import Testing
import UMCGSystem

@testable import UMCGBench

/// `bench --timestamps`: every source is measured each round, the TSC ones only where the TSC is invariant.
@Suite struct TimestampCostTests {
    @Test func everySourceIsMeasuredInEveryRound() {
        let rows = TimestampCost.measure(calls: 1_000, rounds: 3)
        var expected: [TimestampCost.Source] = [.clockGettime, .traceClockTSC, .traceClockMonotonic, .rdtsc]
        if !TimestampCounter.isInvariant { expected = [.clockGettime, .traceClockMonotonic] }
        #expect(rows.map(\.source) == expected)
        for r in rows {
            #expect(r.rounds.count == 3)
            #expect(r.rounds.allSatisfy { $0 > 0 })
            #expect(r.rounds.contains(r.nanosPerCall))  // the median is one of the rounds
        }
    }
}
