import ArgumentParser
import Foundation
import Testing
import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct ScaleCommandTests {
    @Test(arguments: [
        ["--scale", "--scale-workers", "0"], ["--scale", "--scale-workers", "8,x"],
        ["--scale", "--scale-workers", ","],
        ["--scale", "--scale-workers", "100001"], ["--scale", "--scale-seconds", "0"],
        ["--scale", "--scale-seconds", "inf"], ["--scale", "--stack-kib", "8"], ["--scale", "--backend", "magic"],
        ["--scale", "--scale-rounds", "0"], ["--scale", "--scale-rounds", "101"], ["--scale", "--stacks", "heap"],
        ["--scale", "--stacks", "pooled", "--stack-kib", "16"],
    ])
    func badScaleValuesAreValidationErrors(args: [String]) throws {
        do {
            _ = try BenchCommand.parse(args)
            Issue.record("parsed \(args)")
        } catch {
            #expect(BenchCommand.exitCode(for: error) == .validationFailure)
            #expect(!BenchCommand.message(for: error).contains("\n"))
        }
    }

    @Test func flagsBuildTheScalePlan() throws {
        let c = try BenchCommand.parse([
            "--scale", "--scale-workers", "8, 100,2000", "--scale-seconds", "0.5", "--stack-kib", "128", "--json",
        ])
        #expect(c.scale && c.json)
        let plan = try c.scalePlan
        #expect(plan.workerCounts == [8, 100, 2000])
        #expect(plan.seconds == 0.5)
        #expect(plan.stackBytes == 128 << 10)
        #expect(plan.rounds == 3 && plan.stacks == .system && plan.floor)
        let d = try BenchCommand.parse(["--scale"]).scalePlan
        #expect(d.workerCounts == [8, 1_000, 10_000])
        #expect(d.stackBytes == 64 << 10)
        let e = try BenchCommand.parse([
            "--scale", "--scale-rounds", "5", "--stacks", "pooled", "--no-floor", "--stack-kib", "48",
        ]).scalePlan
        #expect(e.rounds == 5 && e.stacks == .pooled && !e.floor && e.stackBytes == 48 << 10)
        #expect(try BenchCommand.parse(["--scale", "--stack-kib", "16"]).scalePlan.stackBytes == 16 << 10)
        #expect(try BenchCommand.parse(["--scale", "--stacks", "pooled"]).scalePlan.stackBytes == 32 << 10)
    }

    @Test func outputShowsMediansRoundsAndTheFloor() throws {
        let m = EngineMemoryReport(backendBytesPerWorker: 300, engineBytesPerWorker: 200, stackBytesPerWorker: 32 << 10)
        // Per server: switches / 2 in 1 s. 8 workers: 5,000 / 4,000 / 6,000 ns; 10,000: 8,000 / 7,000 / 9,000 ns.
        func run(_ workers: Int, ns: Double, floor: Double) -> ScaleResult {
            var r = ScaleResult(
                workers: workers, servers: 2, seconds: 1, switches: UInt64(2e9 / ns), startSeconds: 0.1, memory: m,
                rssBytesPerWorker: 33_000, floorNanosPerSwitch: floor)
            r.stacks = .pooled
            r.stackUsage = StackUsage(stackBytes: 32 << 10, maxUsedBytes: 5_600, overflowed: 0, hugePagesAdvised: true)
            r.hugePageBytes = 300 << 20
            return r
        }
        let report = ScaleReport(runs: [
            run(8, ns: 5_000, floor: 4_900), run(10_000, ns: 8_000, floor: 7_500),
            run(8, ns: 4_000, floor: 4_000), run(10_000, ns: 7_000, floor: 7_000),
            run(8, ns: 6_000, floor: 5_000), run(10_000, ns: 9_000, floor: 8_000),
        ])
        var plan = ScaleBench.Plan(workerCounts: [8, 10_000], seconds: 1, servers: 2, stackBytes: 32 << 10)
        plan.rounds = 3
        plan.stacks = .pooled
        let env = BenchEnvironment(backend: "emulated", backendReason: "test", kernel: "Linux test", cpus: 2)
        let text = ScaleOutput.text(report, plan: plan, environment: env)
        #expect(text.contains("pooled worker stacks of 32 KiB (huge pages advised, no guard pages); 3 round(s)"))
        #expect(text.contains("5000 4000 6000"))  // every round, in the order run
        #expect(text.contains("1.60x (above the 1.5x goal)"))  // medians 8,000 / 5,000
        #expect(text.contains("futex floor at 10000 vs 8 workers: 1.53x"))  // medians 7,500 / 4,900
        #expect(text.contains("1.07x"))  // 10,000: 8,000 / 7,500
        #expect(text.contains("300 MiB"))
        #expect(text.contains("5600"))
        let json = ScaleOutput.json(report, plan: plan, environment: env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["cost_ratio"] as? Double == 1.6)
        #expect(object["floor_ratio"] as? Double == 1.531)
        #expect(object["rounds"] as? Int == 3)
        #expect(object["stacks"] as? String == "pooled")
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["ns_per_switch"] as? Double } == [5_000, 8_000])
        #expect(results[0]["rounds_ns_per_switch"] as? [Double] == [5_000, 4_000, 6_000])
        #expect(results[1]["floor_ns_per_switch"] as? Double == 7_500)
        #expect(results[1]["engine_over_floor"] as? Double == 1.067)
        #expect(results[1]["stack_used_max_bytes"] as? Int == 5_600)
        #expect(results[1]["stack_overflows"] as? Int == 0)
        #expect(results[1]["huge_page_bytes"] as? Int == 300 << 20)
        // Every scale row names the backend its engine ran on.
        #expect(results.allSatisfy { $0["backend"] as? String == "emulated" })
    }

    @Test func outputShowsEveryCountAndTheRatio() throws {
        let m = EngineMemoryReport(backendBytesPerWorker: 300, engineBytesPerWorker: 200, stackBytesPerWorker: 64 << 10)
        let report = ScaleReport(results: [
            ScaleResult(
                workers: 8, servers: 2, seconds: 1, switches: 200_000, startSeconds: 0.01, memory: m,
                rssBytesPerWorker: 9_000),
            ScaleResult(
                workers: 10_000, servers: 2, seconds: 1, switches: 160_000, startSeconds: 0.5, memory: m,
                rssBytesPerWorker: nil),
        ])
        let plan = ScaleBench.Plan(workerCounts: [8, 10_000], seconds: 1, servers: 2)
        let env = BenchEnvironment(backend: "emulated", backendReason: "test", kernel: "Linux test", cpus: 2)
        let text = ScaleOutput.text(report, plan: plan, environment: env)
        #expect(text.contains("100000"))  // 8 workers: switches/s per server
        #expect(text.contains("12500"))  // 10,000 workers: ns per switch
        #expect(text.contains("1.25x (within the 1.5x goal)"))
        let json = ScaleOutput.json(report, plan: plan, environment: env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["mode"] as? String == "scale")
        #expect(object["cost_ratio"] as? Double == 1.25)
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["workers"] as? Int } == [8, 10_000])
        #expect(results[0]["heap_bytes_per_worker"] as? Int == 500)
        #expect(results[1]["rss_bytes_per_worker"] is NSNull)
    }
}
