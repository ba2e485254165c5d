import Foundation
import Testing
import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct BenchLimitOutputTests {
    /// cross-cpu: futex 20 k, umcg-adaptive 4 M, traced 2 M, spin 16 M cycles/s (one round of 1 s).
    static func crossReport() -> BenchReport {
        let plan = BenchPlan(
            seconds: 1, rounds: 1, placements: [.crossCPU], methods: [.futex, .umcg], handoffs: [.adaptive],
            tracing: true, limit: true)
        func agg(_ c: BenchCase, _ cycles: UInt64) -> BenchAggregate {
            var a = BenchAggregate(benchCase: c)
            a.add(
                BenchRun(
                    result: PingPongResult(cycles: cycles, elapsedNanos: 1_000_000_000, cpuNanos: 1, cpus: [0, 1])))
            return a
        }
        return BenchReport(
            plan: plan,
            results: [
                agg(BenchCase(method: .futex, placement: .crossCPU), 20_000),
                agg(BenchCase(method: .umcg, placement: .crossCPU, handoff: .adaptive), 4_000_000),
                agg(BenchCase(method: .umcg, placement: .crossCPU, handoff: .adaptive, tracing: true), 2_000_000),
                agg(BenchCase(method: .spin, placement: .crossCPU), 16_000_000),
            ],
            skipped: [])
    }

    @Test func jsonCarriesTheLimitAndEveryUMCGRowsRatioToIt() throws {
        let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux 6.18", cpus: 2)
        let text = BenchOutput.json(Self.crossReport(), environment: env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["method"] as? String } == ["futex", "umcg"])
        #expect(results[0]["ratio_to_limit"] == nil)
        #expect(results[1]["ratio_to_limit"] as? Double == 0.25)
        let limit = try #require(object["limit"] as? [[String: Any]])
        #expect(limit.count == 1)
        #expect(limit.first?["method"] as? String == "spin")
        #expect(limit.first?["placement"] as? String == "cross-cpu")
        #expect(limit.first?["cycles_per_sec"] as? Double == 16_000_000)
        let runs = try #require((object["tracing"] as? [String: Any])?["runs"] as? [[String: Any]])
        #expect(runs.first?["ratio_to_limit"] as? Double == 0.125)
        let ratios = try #require(object["ratios"] as? [String: [String: Double]])
        #expect(ratios["cross-cpu"]?["umcg-adaptive/spin"] == 0.25)
    }

    /// cross-cpu, three rounds of 1 s: umcg-adaptive 1 M, 2 M, 8 M against the limit's 4 M, 4 M, 32 M
    /// cycles/s (the last round on hyperthreads of one core, where everything runs faster).
    static func movedReport(
        umcgRounds: [UInt64] = [1_000_000, 2_000_000, 8_000_000],
        spinRounds: [UInt64] = [4_000_000, 4_000_000, 32_000_000]
    ) -> BenchReport {
        let plan = BenchPlan(
            seconds: 1, rounds: 3, placements: [.crossCPU], methods: [.umcg], handoffs: [.adaptive], limit: true)
        func agg(_ c: BenchCase, _ rounds: [UInt64]) -> BenchAggregate {
            var a = BenchAggregate(benchCase: c)
            for cycles in rounds {
                a.add(
                    BenchRun(
                        result: PingPongResult(
                            cycles: cycles, elapsedNanos: 1_000_000_000, cpuNanos: 1, cpus: [0, 1])))
            }
            return a
        }
        return BenchReport(
            plan: plan,
            results: [
                agg(BenchCase(method: .umcg, placement: .crossCPU, handoff: .adaptive), umcgRounds),
                agg(BenchCase(method: .spin, placement: .crossCPU), spinRounds),
            ],
            skipped: [])
    }

    @Test func eachRoundIsReportedAgainstTheLimitOfItsOwnRound() throws {
        let report = Self.movedReport()
        let umcg = try #require(report.result(.umcg, .crossCPU, handoff: .adaptive))
        let spin = try #require(report.result(.spin, .crossCPU))
        // Whole runs: 11 M over 40 M cycles. Round by round: 0.25, 0.5, 0.25, median 0.25.
        #expect(abs((report.ratioToLimit(umcg) ?? 0) - 0.275) < 1e-12)
        #expect(report.roundsRatioToLimit(umcg) == [0.25, 0.5, 0.25])
        #expect(report.pairedRatioToLimit(umcg) == 0.25)
        #expect(report.roundsRatioToLimit(spin) == nil)
        let paired = report.ratios.first { $0.name == "umcg-adaptive/spin paired" }
        #expect(paired?.value == 0.25)
        #expect(paired?.placement == .crossCPU)

        let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux 6.18", cpus: 2)
        let text = BenchOutput.json(report, environment: env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.first?["rounds_ratio_to_limit"] as? [Double] == [0.25, 0.5, 0.25])
        let ratios = try #require(object["ratios"] as? [String: [String: Double]])
        #expect(ratios["cross-cpu"]?["umcg-adaptive/spin paired"] == 0.25)
        #expect(BenchOutput.text(report, environment: env).contains("umcg-adaptive/spin paired"))
    }

    @Test func roundsThatDoNotPairGiveNoPairedRatio() throws {
        // A limit with a round missing, or a round of 0 cycles/s: nothing to pair, nothing reported.
        for spinRounds: [UInt64] in [[4_000_000, 4_000_000], [4_000_000, 0, 32_000_000]] {
            let report = Self.movedReport(spinRounds: spinRounds)
            let umcg = try #require(report.result(.umcg, .crossCPU, handoff: .adaptive))
            #expect(report.roundsRatioToLimit(umcg) == nil)
            #expect(report.pairedRatioToLimit(umcg) == nil)
            #expect(!report.ratios.contains { $0.name.hasSuffix("paired") })
        }
        // An even count of rounds: the mean of the middle two.
        let even = Self.movedReport(
            umcgRounds: [1_000_000, 2_000_000, 3_000_000, 8_000_000],
            spinRounds: [4_000_000, 4_000_000, 4_000_000, 32_000_000])
        let umcg = try #require(even.result(.umcg, .crossCPU, handoff: .adaptive))
        #expect(even.roundsRatioToLimit(umcg) == [0.25, 0.5, 0.75, 0.25])
        #expect(even.pairedRatioToLimit(umcg) == 0.375)
    }

    @Test func tableShowsTheLimitColumn() {
        let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux 6.18", cpus: 2)
        let text = BenchOutput.text(Self.crossReport(), environment: env)
        #expect(text.contains("vs limit"))
        let spinRow = text.split(separator: "\n").first { $0.hasPrefix("spin ") }
        #expect(spinRow?.contains("limit") == true)
        let umcgRow = text.split(separator: "\n").first { $0.hasPrefix("umcg-adaptive ") }
        #expect(umcgRow?.contains("0.250") == true)
        #expect(text.contains("Spin (the limit) performance test duration: 1 seconds..."))
    }

    @Test func everyRunMeasuresTheLimitUnlessAskedNotTo() throws {
        #expect(try BenchCommand.parse([]).runPlan.limit)
        #expect(try BenchCommand.parse([]).runPlan.cases.contains { $0.method == .spin })
        #expect(try !BenchCommand.parse(["--no-limit"]).runPlan.limit)
        #expect(try BenchCommand.parse(["--placement", "same-cpu"]).runPlan.cases.allSatisfy { $0.method != .spin })
    }
}

@Suite(.serialized) struct BenchPolicyCommandTests {
    @Test func policyFlagBuildsThePlanAndBadValuesAreValidationErrors() throws {
        #expect(try BenchCommand.parse([]).runPlan.policy == .other)
        #expect(try BenchCommand.parse(["--policy", "fifo"]).runPlan.policy == .fifo)
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--policy", "batch"]) }
        #expect(try BenchCommand.parse(["--handoffs", "yield"]).plan.handoffs == [.yield])
    }

    @Test func aRefusedPolicyStopsTheRunBeforeAnyMeasurement() throws {
        let saved = BenchCommand.policyProbe
        BenchCommand.policyProbe = { _ in .EPERM }
        defer { BenchCommand.policyProbe = saved }
        let command = try BenchCommand.parse(["--policy", "fifo", "--seconds", "30", "--rounds", "100"])
        do {
            try command.run()
            Issue.record("run() went on without the policy")
        } catch {
            #expect(BenchCommand.exitCode(for: error) == .validationFailure)
            let message = BenchCommand.message(for: error)
            #expect(message.contains("SCHED_FIFO"), "\(message)")
            #expect(message.contains("EPERM"), "\(message)")
            #expect(!message.contains("\n"))
        }
    }

    @Test func everyRowSaysItsPolicy() throws {
        var report = BenchLimitOutputTests.crossReport()
        report.plan.policy = .fifo
        let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux 6.18", cpus: 2)
        let text = BenchOutput.json(report, environment: env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let rows = try #require(object["results"] as? [[String: Any]]) + (object["limit"] as? [[String: Any]] ?? [])
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0["policy"] as? String == "SCHED_FIFO" })
        #expect(BenchOutput.text(report, environment: env).contains("every row under SCHED_FIFO"))
    }
}
