import Foundation
import Testing

/// #10: the static binary on Nanos died in libdispatch's worker-pool monitor. umcgtop names every
/// thread it starts (`OSThread(name:)`), so a thread with the process's own name other than the
/// main one (or a dispatch-like name) is one it did not start: a libdispatch worker or manager
/// thread, a Swift concurrency thread. `scripts/check-threads` does the same for any binary.
@Suite struct HeadlessThreadTests {
    /// The names of the threads of `pid` other than the main one that it did not name itself.
    static func foreignThreads(of pid: pid_t, mainName: String) -> Set<String> {
        let dir = "/proc/\(pid)/task"
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: Set<String> = []
        for tid in tasks where tid != "\(pid)" {
            guard let raw = try? String(contentsOfFile: "\(dir)/\(tid)/comm", encoding: .utf8) else { continue }
            let name = raw.trimmingCharacters(in: .newlines)
            if name == mainName || name.isEmpty || name.contains("dispatch") || name.contains("workq") {
                out.insert("\(tid):\(name)")
            }
        }
        return out
    }

    /// Runs the binary with `args`, sampling its threads every 20 ms until it exits.
    static func sample(_ args: [String]) throws -> (
        status: Int32, samples: Int, threads: Set<String>, foreign: Set<String>
    ) {
        let child = try EndToEnd.Child(EndToEnd.binary, args)
        var foreign: Set<String> = []
        var all: Set<String> = []
        var samples = 0
        let mainName = String(EndToEnd.binary.split(separator: "/").last ?? "umcgtop").prefix(15)
        let ended = EndToEnd.wait(timeout: 60) {
            if child.poll() != nil { return true }
            foreign.formUnion(foreignThreads(of: child.pid, mainName: String(mainName)))
            if let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/task") {
                for t in tasks {
                    if let n = try? String(contentsOfFile: "/proc/\(child.pid)/task/\(t)/comm", encoding: .utf8) {
                        all.insert(n.trimmingCharacters(in: .newlines))
                    }
                }
            }
            samples += 1
            return false
        }
        let r = child.finish(timeout: ended ? 1 : 0)
        return (r.status, samples, all, foreign)
    }

    @Test(
        .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"),
        arguments: [
            ["--headless", "--duration", "2"],
            ["bench", "--seconds", "0.2", "--rounds", "1", "--placement", "same-cpu"],
        ])
    func headlessPathsStartNoThreadTheyDidNotName(args: [String]) throws {
        let r = try Self.sample(args)
        #expect(r.status == 0)
        #expect(r.samples > 10)
        // The sampling saw the named threads (so it would see others): the engine's or the bench's.
        #expect(r.threads.contains { $0.hasPrefix("umcg-") || $0.hasPrefix("baseline-") || $0.hasPrefix("bench-") })
        #expect(r.foreign.isEmpty, "threads umcgtop did not name: \(r.foreign.sorted())")
    }
}
