import Testing
import UMCGTrace

@testable import UMCGBench
@testable import UMCGEngine
@testable import UMCGSystem

@Suite struct ScaleBenchTests {
    @Test(arguments: [WorkerStacks.pooled, .system])
    func runsEachWorkerCountAndReportsCostAndMemory(_ stacks: WorkerStacks) throws {
        var plan = ScaleBench.Plan(
            workerCounts: [4, 300], seconds: 0.3, servers: 2, stackBytes: 64 << 10, backend: .emulated)
        plan.rounds = 2
        plan.stacks = stacks
        var seen: [String] = []
        let report = try ScaleBench.run(plan) { seen.append("\($0):\($1.workers)") }
        #expect(seen == ["0:4", "0:300", "1:4", "1:300"])
        #expect(report.runs.count == 4)
        #expect(report.results.map(\.workers) == [4, 300])
        for r in report.runs {
            #expect(r.switches > 0)
            #expect(r.seconds >= 0.3)
            #expect(r.nanosPerSwitch > 0)
            #expect(abs(r.nanosPerSwitch * r.switchesPerSecondPerServer - 1e9) < 1)
            #expect(r.memory.stackBytesPerWorker == 64 << 10)
            #expect(r.memory.heapBytesPerWorker > 0 && r.memory.heapBytesPerWorker < 4_096)
            #expect(r.rssBytesPerWorker != nil)
            #expect(r.stacks == stacks)
            #expect((r.floorNanosPerSwitch ?? 0) > 0)
            if stacks == .pooled {
                let usage = try #require(r.stackUsage)
                #expect(usage.overflowed == 0)
                let used = try #require(usage.maxUsedBytes)
                #expect(used > 1_024 && used < 64 << 10)
            } else {
                #expect(r.stackUsage == nil)
            }
        }
        let ratio = try #require(report.costRatio)
        #expect(abs(ratio - report.results[1].nanosPerSwitch / report.results[0].nanosPerSwitch) < 1e-9)
        #expect(report.floorRatio != nil)
        print(
            "scale test (\(stacks)): \(report.results.map { "\($0.workers) workers \(Int($0.nanosPerSwitch)) ns/switch" })"
        )
    }

    @Test func theReportTakesTheMedianRoundPerCount() {
        let m = EngineMemoryReport(backendBytesPerWorker: 1, engineBytesPerWorker: 1, stackBytesPerWorker: 1)
        // 2 servers, 1 s: ns/switch = 2e9 / switches.
        func r(_ workers: Int, ns: Double, floor: Double?) -> ScaleResult {
            ScaleResult(
                workers: workers, servers: 2, seconds: 1, switches: UInt64(2e9 / ns), startSeconds: 0, memory: m,
                rssBytesPerWorker: nil, floorNanosPerSwitch: floor)
        }
        let report = ScaleReport(runs: [
            r(100, ns: 10_000, floor: 9_000), r(8, ns: 5_000, floor: nil),
            r(100, ns: 20_000, floor: 8_000), r(8, ns: 4_000, floor: 4_000),
            r(100, ns: 12_500, floor: 10_000), r(8, ns: 8_000, floor: 5_000),
            r(8, ns: 2_000, floor: 2_000),
        ])
        #expect(report.workerCounts == [100, 8])
        #expect(report.rounds(of: 8) == [5_000, 4_000, 8_000, 2_000])
        // 100: the middle of 10,000 / 12,500 / 20,000; 8: the lower middle of four.
        #expect(report.results.map(\.workers) == [100, 8])
        #expect(report.results.map(\.nanosPerSwitch) == [12_500, 4_000])
        #expect(report.results.map(\.floorNanosPerSwitch) == [9_000, 4_000])  // floors: their own medians
        #expect(report.costRatio == 12_500.0 / 4_000)
        #expect(report.floorRatio == 9_000.0 / 4_000)
        #expect(report.results[0].overFloor == 12_500.0 / 9_000)
        #expect(ScaleReport(runs: [r(8, ns: 1_000, floor: nil), r(9, ns: 2_000, floor: nil)]).floorRatio == nil)
    }

    @Test(arguments: [WorkerStacks.pooled, .system])
    func theFutexFloorRunsAndStops(_ stacks: WorkerStacks) throws {
        let r = try FutexRoundRobin.run(
            workers: 6, servers: 2, seconds: 0.2, warmUp: 0.05, stacks: stacks, stackBytes: 32 << 10)
        #expect(r.switches > 100)
        #expect(r.seconds >= 0.2)
        #expect(r.nanosPerSwitch > 0)
        // More servers than workers: the idle server ends at once, the run still counts.
        let lone = try FutexRoundRobin.run(
            workers: 1, servers: 2, seconds: 0.1, warmUp: 0, stacks: stacks, stackBytes: 32 << 10)
        #expect(lone.switches > 0)
        #expect(throws: EngineError.self) {
            try FutexRoundRobin.run(
                workers: 0, servers: 1, seconds: 0.1, warmUp: 0, stacks: stacks, stackBytes: 32 << 10)
        }
    }

    @Test func badPlansAreErrors() {
        #expect(throws: EngineError.self) { try ScaleBench.run(ScaleBench.Plan(workerCounts: [4], seconds: 0)) }
        #expect(throws: EngineError.self) { try ScaleBench.run(ScaleBench.Plan(workerCounts: [4], seconds: .nan)) }
        #expect(throws: EngineError.self) {
            try ScaleBench.run(ScaleBench.Plan(workerCounts: [0], seconds: 0.1, backend: .emulated))
        }
        var noRounds = ScaleBench.Plan(workerCounts: [4], seconds: 0.1, backend: .emulated)
        noRounds.rounds = 0
        #expect(throws: EngineError.self) { try ScaleBench.run(noRounds) }
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

    /// Kernels before 6.16 (or without CONFIG_FUTEX_PRIVATE_HASH) have no private futex hash.
    static var hasPrivateFutexHash: Bool { ((try? FutexHash.buckets()) ?? 0) != 0 }

    @Test(
        .enabled(if: hasPrivateFutexHash, "no private futex hash here (kernel < 6.16 or no CONFIG_FUTEX_PRIVATE_HASH)"))
    func theEngineGrowsThePrivateFutexHash() throws {
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
