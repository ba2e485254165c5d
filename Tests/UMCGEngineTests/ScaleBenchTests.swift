import Testing
import UMCGTrace

@testable import UMCGEngine

@Suite struct ScaleBenchTests {
    @Test func runsEachWorkerCountAndReportsCostAndMemory() throws {
        let plan = ScaleBench.Plan(
            workerCounts: [4, 300], seconds: 0.3, servers: 2, stackBytes: 64 << 10, backend: .emulated)
        var seen: [Int] = []
        let report = try ScaleBench.run(plan) { seen.append($0.workers) }
        #expect(seen == [4, 300])
        #expect(report.results.map(\.workers) == [4, 300])
        for r in report.results {
            #expect(r.switches > 0)
            #expect(r.seconds >= 0.3)
            #expect(r.nanosPerSwitch > 0)
            #expect(abs(r.nanosPerSwitch * r.switchesPerSecondPerServer - 1e9) < 1)
            #expect(r.memory.stackBytesPerWorker == 64 << 10)
            #expect(r.memory.heapBytesPerWorker > 0 && r.memory.heapBytesPerWorker < 4_096)
            #expect(r.rssBytesPerWorker != nil)
        }
        let ratio = try #require(report.costRatio)
        #expect(abs(ratio - report.results[1].nanosPerSwitch / report.results[0].nanosPerSwitch) < 1e-9)
        print("scale test: \(report.results.map { "\($0.workers) workers \(Int($0.nanosPerSwitch)) ns/switch" })")
    }

    @Test func badPlansAreErrors() {
        #expect(throws: EngineError.self) { try ScaleBench.run(ScaleBench.Plan(workerCounts: [4], seconds: 0)) }
        #expect(throws: EngineError.self) { try ScaleBench.run(ScaleBench.Plan(workerCounts: [4], seconds: .nan)) }
        #expect(throws: EngineError.self) {
            try ScaleBench.run(ScaleBench.Plan(workerCounts: [0], seconds: 0.1, backend: .emulated))
        }
    }

    @Test func costRatioComparesLargestWithSmallest() {
        let m = EngineMemoryReport(backendBytesPerWorker: 1, engineBytesPerWorker: 1, stackBytesPerWorker: 1)
        func r(_ workers: Int, switches: UInt64) -> ScaleResult {
            ScaleResult(
                workers: workers, servers: 2, seconds: 1, switches: switches, startSeconds: 0, memory: m,
                rssBytesPerWorker: nil)
        }
        #expect(ScaleReport(results: [r(8, switches: 200)]).costRatio == nil)
        // 8 workers: 100 k switches/s per server = 10 µs; 10,000: 50 k = 20 µs → 2×.
        #expect(ScaleReport(results: [r(10_000, switches: 100_000), r(8, switches: 200_000)]).costRatio == 2)
        #expect(ScaleReport(results: [r(8, switches: 0), r(10, switches: 5)]).costRatio == nil)
    }

    @Test func futexHashBucketsArePowersOfTwoForTheThreads() {
        #expect(FutexHash.buckets(forThreads: 0) == 16)
        #expect(FutexHash.buckets(forThreads: 4) == 16)
        #expect(FutexHash.buckets(forThreads: 5) == 32)
        #expect(FutexHash.buckets(forThreads: 10_010) == 65_536)
        #expect(FutexHash.buckets(forThreads: 10_000_000) == FutexHash.maxBuckets)
    }

    @Test func theEngineGrowsThePrivateFutexHash() throws {
        // Kernels before 6.16 (or without CONFIG_FUTEX_PRIVATE_HASH) have none: nothing to check.
        guard let before = try? FutexHash.buckets(), before != 0 else { return }
        let c = EngineConfiguration(
            servers: 2, workers: 600, workload: .pingpong, backend: .emulated, workerStackBytes: 64 << 10)
        let engine = try Engine(c)
        #expect(engine.futexHashBuckets == nil)
        try engine.start()
        defer { engine.stop() }
        let n = try #require(engine.futexHashBuckets)
        #expect(n >= FutexHash.buckets(forThreads: 610))
        #expect(try FutexHash.buckets() >= n)
        // Never shrinks.
        #expect(try FutexHash.reserve(threads: 1) >= n)
    }

    @Test func residentBytesParsesProcStatus() throws {
        let text = "Name:\tx\nVmPeak:\t  100 kB\nVmRSS:\t   2048 kB\nThreads:\t1\n"
        #expect(ProcessMemory.kilobytes(of: "VmRSS:", in: text) == 2048)
        #expect(ProcessMemory.kilobytes(of: "VmSwap:", in: text) == nil)
        let rss = try #require(ProcessMemory.residentBytes())
        #expect(rss > 1 << 20)
        #expect(throws: Errno.self) { try ProcessMemory.read("/nonexistent/proof") }
    }
}
