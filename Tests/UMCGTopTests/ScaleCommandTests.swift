import ArgumentParser
import Foundation
import Testing
import UMCGEngine
import UMCGTrace

@testable import UMCGTop

@Suite struct ScaleCommandTests {
    @Test(arguments: [
        ["--scale", "--scale-workers", "0"], ["--scale", "--scale-workers", "8,x"],
        ["--scale", "--scale-workers", ","],
        ["--scale", "--scale-workers", "100001"], ["--scale", "--scale-seconds", "0"],
        ["--scale", "--scale-seconds", "inf"], ["--scale", "--stack-kib", "8"], ["--scale", "--backend", "magic"],
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
        let d = try BenchCommand.parse(["--scale"]).scalePlan
        #expect(d.workerCounts == [8, 1_000, 10_000])
        #expect(d.stackBytes == ScaleBench.defaultStackBytes)
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
