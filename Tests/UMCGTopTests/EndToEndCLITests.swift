import Foundation
import Testing
import UMCGSystem

@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct EndToEndCLITests {
    @Test func notATerminalIsAOneLineError() throws {
        let r = try EndToEnd.run([], timeout: 30)
        #expect(!r.timedOut)
        #expect(r.status == 1)
        #expect(r.stderr == "umcgtop: error: not a terminal; use --headless for scripts\n")
        #expect(r.stdout.isEmpty)
    }

    @Test func validationErrorExitsNonZero() throws {
        let r = try EndToEnd.run(["--headless", "--workers", "0"], timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--workers must be at least 1"))
    }
}

@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct EndToEndHeadlessTests {
    @Test func headlessJSONHasServersWorkersAndBaselines() throws {
        let r = try EndToEnd.run(["--headless", "--duration", "1", "--json", "--servers", "2", "--workers", "4"])
        #expect(!r.timedOut)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(EndToEnd.jsonObject(r.stdout), "not one JSON object: \(r.stdout)")
        let servers = try #require(json["servers"] as? [[String: Any]])
        let workers = try #require(json["workers"] as? [[String: Any]])
        #expect(servers.count == 2)
        #expect(workers.count == 4)
        #expect(workers.compactMap { $0["name"] as? String }.allSatisfy { $0.hasPrefix("mixed-") })
        let engine = try #require(json["engine"] as? [String: Any])
        #expect((engine["switches"] as? Int ?? 0) > 0)
        let baselines = try #require(json["baselines"] as? [[String: Any]])
        let methods = Set(baselines.compactMap { $0["method"] as? String })
        #expect(methods.isSuperset(of: ["futex", "condvar"]), "\(methods)")
        #expect(json["backend"] as? String == "emulated")
        #expect((json["ui_cpu_percent"] as? Double).map { $0 >= 0 } == true)
        #expect(json["mode"] as? String == "live")
        #expect((json["migrations"] as? Int).map { $0 >= 0 } == true)  // the run-queue balancer's moves
    }

    @Test func headlessTextFramesWithoutBaselines() throws {
        let r = try EndToEnd.run(["--headless", "--duration", "1.2", "--interval", "0.5", "--no-baselines", "--ascii"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let frames = r.stdout.components(separatedBy: "--- umcgtop t=").count - 1
        #expect(frames >= 2, "\(r.stdout)")
        #expect(r.stdout.contains("Servers"))
    }

    @Test func sigtermEndsHeadlessWith143AfterAFinalFrame() throws {
        let child = try EndToEnd.Child(EndToEnd.binary, ["--headless", "--interval", "0.2", "--no-baselines"])
        // The first frame proves the engine runs and the loop polls; then terminate.
        #expect(EndToEnd.wait(timeout: 30) { child.stdout.contains("--- umcgtop t=") })
        child.send(SIGTERM)
        let r = child.finish(timeout: 30)
        #expect(!r.timedOut)
        #expect(r.status == 143, "stderr: \(r.stderr)")
        #expect(r.stdout.components(separatedBy: "--- umcgtop t=").count - 1 >= 2)
    }
}
