import Foundation
import Testing

/// The preload's benchmark programs (Benchmarks/c) build and run under the preload: the numbers they
/// print are judged by people (scripts/bench-preload), not here; this checks that they work.
@Suite(.enabled(if: Preload.libraryExists, "build the library first: swift build --product umcg (scripts/test does)"))
struct PreloadBenchmarkProgramTests {
    static let benchmarks = Preload.packageRoot.appendingPathComponent("Benchmarks/c")

    @Test("the C UMCG ping-pong runs under the preload and counts cycles that ended in the worker's WAIT")
    func pingPong() throws {
        let exe = try Preload.compile("umcg_pingpong.c", in: Self.benchmarks)
        let result = try Preload.runPreloaded(exe, ["--seconds", "0.2", "--placement", "same-cpu"], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect(object["method"] as? String == "umcg")
        #expect((object["cycles"] as? Int ?? 0) > 0)
        #expect(result.stderr.contains("Results: "))
    }

    @Test("the interposer cost benchmark measures on a plain thread and on a registered worker")
    func overhead() throws {
        let exe = try Preload.compile("preload_overhead.c", in: Self.benchmarks)
        let result = try Preload.runPreloaded(exe, [], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("libumcg.so preloaded"))
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("pthread_mutex_lock") }
        #expect(rows.count == 1)
        // The worker columns are numbers, not "-": the worker registered and measured.
        #expect(!(rows.first ?? "").contains(" - "))
    }
}
