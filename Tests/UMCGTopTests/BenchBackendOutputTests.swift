import Foundation
import Testing
import UMCGBench
import UMCGEngine
import UMCGSystem

@testable import UMCGTop

/// `bench`'s UMCG rows name their backend; stuck runs are reported; the binary exits 3 for them.
@Suite struct BenchBackendOutputTests {
    static func agg(_ c: BenchCase, _ cps: Double) -> BenchAggregate {
        var a = BenchAggregate(benchCase: c)
        a.add(
            BenchRun(
                result: PingPongResult(cycles: UInt64(cps), elapsedNanos: 1_000_000_000, cpuNanos: 1, cpus: [1, 1])))
        return a
    }

    static func kernelReport() -> BenchReport {
        let plan = BenchPlan(
            seconds: 1, rounds: 1, placements: [.sameCPU], methods: [.condvar, .futex, .umcg], umcgBackend: .kernel)
        return BenchReport(
            plan: plan,
            results: [
                agg(BenchCase(method: .condvar, placement: .sameCPU), 100_000),
                agg(BenchCase(method: .umcg, placement: .sameCPU, backend: .kernel), 400_000),
            ],
            skipped: [
                BenchSkip(
                    benchCase: BenchCase(method: .futex, placement: .sameCPU),
                    reason: "no progress for 5 s after 0 cycles; its threads were abandoned", stuck: true)
            ])
    }

    static let env = BenchEnvironment(backend: "kernel", backendReason: "probe passed", kernel: "Nanos", cpus: 2)

    @Test func jsonRowsNameTheirBackendAndStuckRunsHaveTheirOwnKey() throws {
        let text = BenchOutput.json(Self.kernelReport(), environment: Self.env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        let umcg = try #require(results.first { $0["method"] as? String == "umcg" })
        #expect(umcg["backend"] as? String == "kernel")
        #expect(umcg["handoff"] == nil)
        #expect(results.first { $0["method"] as? String == "condvar" }?["backend"] == nil)
        let stuck = try #require(object["stuck"] as? [[String: Any]])
        #expect(stuck.count == 1)
        #expect(stuck.first?["method"] as? String == "futex")
        #expect(stuck.first?["placement"] as? String == "same-cpu")
        #expect((object["skipped"] as? [Any])?.isEmpty == true)
        let ratios = try #require(object["ratios"] as? [String: [String: Double]])
        #expect(ratios["same-cpu"]?["umcg-kernel/condvar"] == 4.0)
    }

    @Test func emulatedRowsSayEmulated() throws {
        let plan = BenchPlan(seconds: 1, rounds: 1, placements: [.sameCPU], methods: [.umcg], handoffs: [.adaptive])
        let report = BenchReport(
            plan: plan, results: [Self.agg(BenchCase(method: .umcg, placement: .sameCPU, handoff: .adaptive), 1000)],
            skipped: [])
        let env = BenchEnvironment(backend: "emulated", backendReason: "r", kernel: "Linux", cpus: 2)
        let text = BenchOutput.json(report, environment: env).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let row = try #require((object["results"] as? [[String: Any]])?.first)
        #expect(row["backend"] as? String == "emulated")
        #expect(row["handoff"] as? String == "adaptive")
        let table = BenchOutput.text(report, environment: env)
        #expect(table.contains("-- umcg on the emulated backend, handoff adaptive"))
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("umcg-adaptive") && $0.contains(" emulated ") })
    }

    @Test func textTableHasABackendColumnAndAStuckRow() {
        let text = BenchOutput.text(Self.kernelReport(), environment: Self.env)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("method") && $0.contains("backend") })
        #expect(lines.contains { $0.hasPrefix("umcg-kernel") && $0.contains(" kernel ") })
        #expect(lines.contains { $0.hasPrefix("futex") && $0.hasSuffix("stuck") })
        #expect(text.contains("-- umcg on the kernel backend\n"))
        #expect(text.contains("stuck: futex same-cpu: no progress for 5 s"))
        // The environment no longer claims the ping-pong ran on the emulation.
        #expect(!text.contains("runs on the emulation"))
    }

    @Test func stuckSecondsIsValidated() throws {
        for bad in ["0", "0.01", "601", "nan"] {
            #expect(throws: (any Error).self) { try BenchCommand.parse(["--stuck-seconds", bad]) }
        }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--simulate-stuck", "nothing"]) }
        #expect(try BenchCommand.parse(["--stuck-seconds", "0.5"]).stuckSeconds == 0.5)
    }

    /// A simulated stuck peer, end to end: the futex baseline's partner never answers.
    @Test(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
    func theBinaryReportsAStuckPeerFinishesTheRestAndExits3() throws {
        let r = try EndToEnd.run(
            [
                "bench", "--seconds", "0.05", "--rounds", "2", "--placement", "same-cpu", "--methods",
                "condvar,futex,umcg", "--handoffs", "futex", "--simulate-stuck", "futex", "--stuck-seconds", "2",
                "--json",
            ], timeout: 60)
        #expect(!r.timedOut)
        #expect(r.status == BenchCommand.stuckExitCode)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stuck = try #require(object["stuck"] as? [[String: Any]])
        #expect(stuck.map { $0["method"] as? String } == ["futex"])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.compactMap { $0["method"] as? String } == ["condvar", "umcg"])
        #expect(results.first { $0["method"] as? String == "umcg" }?["backend"] as? String == "emulated")
        #expect(r.stderr.contains("umcgtop bench: stuck (no progress for 2.0 s): futex same-cpu"))
    }

    @Test(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
    func benchKernelBackendRefusalIsOneLine() throws {
        let r = try EndToEnd.run(["bench", "--backend", "kernel", "--seconds", "0.05"], timeout: 30)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("umcgtop: error: kernel backend unavailable: "))
        #expect(r.stderr.filter { $0 == "\n" }.count == 1)
        #expect(r.stdout.isEmpty)
    }
}
