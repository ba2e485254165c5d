import Testing
import UMCGBench

/// `RingBenchmark`, the trace ring's throughput measurement (moved from UMCGTrace with its test).
@Suite struct RingBenchmarkTests {
    /// Prints the ring's throughput (never asserted). Release numbers: see the report / docs.
    @Test func benchmarkPrintsThroughput() {
        let (rate, drops) = RingBenchmark.run(seconds: 0.3)
        let serial = RingBenchmark.serial(seconds: 0.1)
        print(
            "ring throughput (this build): \(Int(rate)) events/s two threads, \(drops) drops; \(Int(serial)) events/s serial"
        )
        #expect(rate > 0 && serial > 0)
    }
}
