import ArgumentParser
import Foundation
import Testing
import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct BenchCommandTests {
    /// Parses `args` and returns the error's exit code and message, or nil when parsing succeeded.
    private func parseError(_ args: [String]) -> (code: Int32, message: String)? {
        do {
            _ = try BenchCommand.parse(args)
            return nil
        } catch {
            return (BenchCommand.exitCode(for: error).rawValue, BenchCommand.message(for: error))
        }
    }

    @Test(arguments: [
        ["--seconds", "0"], ["--seconds", "-1"], ["--seconds", "61"], ["--seconds", "nan"],
        ["--rounds", "0"], ["--rounds", "101"], ["--placement", "sideways"], ["--methods", "futex,spin"],
        ["--methods", ","], ["--handoffs", "busy"], ["--backend", "magic"], ["--backend", "kernel"],
        ["--backend", "kernel", "--umcg-syscall", "450"],
    ])
    func badValuesAreValidationErrors(args: [String]) throws {
        let e = try #require(parseError(args))
        #expect(e.code == ExitCode.validationFailure.rawValue)
        #expect(!e.message.isEmpty)
        #expect(!e.message.contains("\n"))
    }

    @Test func flagsBuildThePlan() throws {
        let c = try BenchCommand.parse([
            "--seconds", "0.5", "--rounds", "4", "--placement", "cross-cpu", "--methods", "umcg, futex,umcg",
            "--handoffs", "adaptive", "--tracing", "--json",
        ])
        let plan = try c.plan
        #expect(
            plan
                == BenchPlan(
                    seconds: 0.5, rounds: 4, placements: [.crossCPU], methods: [.umcg, .futex], handoffs: [.adaptive],
                    tracing: true))
        #expect(c.json)
        #expect(try BenchCommand.parse(["--placement", "unpinned"]).plan.placements == [.unpinned])
        #expect(try BenchCommand.parse(["--placement", "all"]).plan.placements == [.sameCPU, .crossCPU])
        let d = try BenchCommand.parse([]).plan
        #expect(d == BenchPlan())
        // Stock Linux: auto falls back to the emulation with a reason, without probing any number.
        let auto = try BenchCommand.parse(["--backend", "auto", "--umcg-syscall", "450"]).selection
        #expect(auto.kind == .emulated)
        #expect(auto.reason.contains("not probed"))
    }

    @Test func nanosLinesMatchTheNanosTest() {
        // test/runtime/umcg.c prints "%s performance test duration: %d seconds..." and
        // "Results: %lld cycles (%g cycles/sec)".
        #expect(
            BenchOutput.nanosLines(method: .condvar, seconds: 10, cycles: 4_063_380, cyclesPerSecond: 406_338) == [
                "Condition variable performance test duration: 10 seconds...",
                "Results: 4063380 cycles (406338 cycles/sec)",
            ])
        #expect(
            BenchOutput.nanosLines(method: .futex, seconds: 3, cycles: 7, cyclesPerSecond: 1_234_567.8)[1]
                == "Results: 7 cycles (1.23457e+06 cycles/sec)")
        #expect(
            BenchOutput.nanosLines(method: .umcg, seconds: 0.05, cycles: 1, cyclesPerSecond: 20)[0]
                == "UMCG performance test duration: 0.05 seconds...")
    }

    static func sampleReport() -> BenchReport {
        let plan = BenchPlan(seconds: 1, rounds: 2, placements: [.sameCPU], handoffs: [.futex], tracing: true)
        func agg(_ c: BenchCase, _ cycles: UInt64) -> BenchAggregate {
            var a = BenchAggregate(benchCase: c)
            for _ in 0..<2 {
                a.add(
                    BenchRun(
                        result: PingPongResult(
                            cycles: cycles, elapsedNanos: 1_000_000_000, cpuNanos: 2_000_000_000, cpus: [1, 1]),
                        tracedEvents: c.tracing ? 100 : 0))
            }
            return a
        }
        return BenchReport(
            plan: plan,
            results: [
                agg(BenchCase(method: .condvar, placement: .sameCPU), 100_000),
                agg(BenchCase(method: .futex, placement: .sameCPU), 200_000),
                agg(BenchCase(method: .umcg, placement: .sameCPU, handoff: .futex), 300_000),
                agg(BenchCase(method: .umcg, placement: .sameCPU, handoff: .futex, tracing: true), 150_000),
            ],
            skipped: [BenchSkip(benchCase: BenchCase(method: .futex, placement: .crossCPU), reason: "only one CPU")])
    }

    @Test func jsonHasTheAgreedKeysAndTypes() throws {
        let env = BenchEnvironment(backend: "emulated", backendReason: "why \"quoted\"", kernel: "Linux 6.18", cpus: 2)
        let text = BenchOutput.json(Self.sampleReport(), environment: env).rendered
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["backend"] as? String == "emulated")
        #expect(object["backend_reason"] as? String == "why \"quoted\"")
        #expect(object["kernel"] as? String == "Linux 6.18")
        #expect(object["cpus"] as? Int == 2)
        #expect(object["seconds"] as? Double == 1.0)
        #expect(object["rounds"] as? Int == 2)
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["method"] as? String } == ["condvar", "futex", "umcg"])
        for r in results {
            #expect(r["placement"] as? String == "same-cpu")
            #expect(r["cycles"] is Int)
            #expect(r["cycles_per_sec"] is Double)
            #expect(r["ns_per_switch"] is Double)
            #expect(r["cpu_seconds"] as? Double == 4.0)
            #expect((r["rounds_cycles_per_sec"] as? [Double])?.count == 2)
            #expect((r["handoff"] as? String) == (r["method"] as? String == "umcg" ? "futex" : nil))
        }
        #expect(results[2]["cycles"] as? Int == 600_000)
        #expect(results[2]["cycles_per_sec"] as? Double == 300_000)
        #expect(results[2]["ns_per_switch"] as? Double == 2e9 / 1.2e6)
        let ratios = try #require(object["ratios"] as? [String: [String: Double]])
        #expect(ratios["same-cpu"]?["umcg-futex/futex"] == 1.5)
        #expect(ratios["best"]?["best umcg/best condvar"] == 3.0)
        let tracing = try #require(object["tracing"] as? [String: Any])
        let runs = try #require(tracing["runs"] as? [[String: Any]])
        #expect(runs.first?["on_off_ratio"] as? Double == 0.5)
        #expect(runs.first?["events"] as? Int == 200)
        let skipped = try #require(object["skipped"] as? [[String: Any]])
        #expect(skipped.first?["reason"] as? String == "only one CPU")
    }

    @Test func textReportHasNanosLinesTableAndRatios() {
        let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux 6.18", cpus: 2)
        let text = BenchOutput.text(Self.sampleReport(), environment: env)
        #expect(
            text.contains(
                "Condition variable performance test duration: 2 seconds...\nResults: 200000 cycles (100000 cycles/sec)"
            ))
        #expect(
            text.contains("UMCG performance test duration: 2 seconds...\nResults: 600000 cycles (300000 cycles/sec)"))
        #expect(text.contains("umcg-futex/futex"))
        #expect(text.contains("1.50x"))
        #expect(text.contains("CPU 1"))
        #expect(text.contains("skipped: futex cross-cpu: only one CPU"))
    }

    @Test func fixedFormatting() {
        #expect(BenchOutput.fixed(1234.5678, 2) == "1234.57")
        #expect(BenchOutput.fixed(0.05, 1) == "0.1")
        #expect(BenchOutput.fixed(-2.5, 0) == "-3")
        #expect(BenchOutput.fixed(7, 3) == "7.000")
        #expect(BenchOutput.fixed(.infinity, 1) == "-")
    }

    /// The built binary, end to end (skipped, with the reason, when `.build/debug/umcgtop` is missing).
    @Test(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
    func binaryPrintsOneJSONObjectWithAllMethods() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEnd.binary)
        process.arguments = ["bench", "--seconds", "0.05", "--rounds", "1", "--json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        let methods = Set(results.compactMap { $0["method"] as? String })
        #expect(methods == ["condvar", "futex", "umcg"], "skipped: \(object["skipped"] ?? "none")")
        let handoffs = Set(results.filter { $0["method"] as? String == "umcg" }.compactMap { $0["handoff"] as? String })
        #expect(handoffs == ["futex", "adaptive"])
        #expect(results.allSatisfy { ($0["cycles"] as? Int ?? 0) > 0 })
    }
}
