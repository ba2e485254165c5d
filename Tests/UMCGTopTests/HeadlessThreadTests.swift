import Foundation
import Testing
import UMCGSystem

/// #10: the static binary on Nanos died in libdispatch's worker-pool monitor. umcgtop names every
/// thread it starts (`OSThread(name:)`, set by the new thread as it starts), so a thread that keeps
/// the process's own name (or has a dispatch-like name) is one it did not start: a libdispatch
/// worker or manager thread, a Swift concurrency thread. A new thread carries the name of the
/// thread that created it until it names itself, so only a name kept for `persistNanos` counts.
/// `scripts/check-threads` does the same for any binary.
@Suite struct HeadlessThreadTests {
    /// How long a thread must keep an inherited name to count (libdispatch's pool threads live for
    /// seconds; umcgtop's name themselves first thing, even on a loaded machine).
    static let persistNanos: UInt64 = 1_000_000_000

    /// What the samples saw of one thread.
    struct Seen {
        var firstUnnamed: UInt64?
        var lastUnnamed: UInt64 = 0
        var named = false
        var names: Set<String> = []
    }

    /// One sample of the threads of `pid` other than the main one, into `seen`.
    static func sample(_ pid: pid_t, mainName: String, now: UInt64, into seen: inout [String: Seen]) {
        let dir = "/proc/\(pid)/task"
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for tid in tasks where tid != "\(pid)" {
            guard let raw = try? String(contentsOfFile: "\(dir)/\(tid)/comm", encoding: .utf8) else { continue }
            let name = raw.trimmingCharacters(in: .newlines)
            var s = seen[tid] ?? Seen()
            s.names.insert(name)
            if name == mainName || name.isEmpty || name.contains("dispatch") || name.contains("workq") {
                if s.firstUnnamed == nil { s.firstUnnamed = now }
                s.lastUnnamed = now
            } else {
                s.named = true
            }
            seen[tid] = s
        }
    }

    /// Runs the binary with `args`, sampling its threads every 20 ms until it exits.
    static func run(_ args: [String]) throws -> (status: Int32, samples: Int, seen: [String: Seen]) {
        let child = try EndToEnd.Child(EndToEnd.binary, args)
        var seen: [String: Seen] = [:]
        var samples = 0
        let mainName = String(String(EndToEnd.binary.split(separator: "/").last ?? "umcgtop").prefix(15))
        let ended = EndToEnd.wait(timeout: 120) {
            if child.poll() != nil { return true }
            sample(child.pid, mainName: mainName, now: SystemClock.monotonicNanos(), into: &seen)
            samples += 1
            return false
        }
        let r = child.finish(timeout: ended ? 1 : 0)
        return (r.status, samples, seen)
    }

    /// Threads that kept a name umcgtop does not give for at least `persistNanos` and never had another.
    static func foreign(_ seen: [String: Seen]) -> [String] {
        seen.compactMap { tid, s in
            guard !s.named, let first = s.firstUnnamed, s.lastUnnamed - first >= persistNanos else { return nil }
            return "\(tid):\(s.names.sorted().joined(separator: "/"))"
        }.sorted()
    }

    @Test(
        .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"),
        arguments: [
            ["--headless", "--duration", "3"],
            ["bench", "--seconds", "0.3", "--rounds", "2", "--placement", "same-cpu"],
        ])
    func headlessPathsStartNoThreadTheyDidNotName(args: [String]) throws {
        let r = try Self.run(args)
        #expect(r.status == 0)
        #expect(r.samples > 10)
        // The sampling saw the named threads (so it would see others): the engine's or the bench's.
        let names = r.seen.values.flatMap(\.names)
        #expect(names.contains { $0.hasPrefix("umcg-") || $0.hasPrefix("baseline-") || $0.hasPrefix("bench-") })
        #expect(Self.foreign(r.seen).isEmpty, "threads umcgtop did not name: \(Self.foreign(r.seen))")
    }

    @Test func aThreadThatKeepsTheInheritedNameCounts() {
        var seen: [String: Seen] = [:]
        // Named late (a new thread before it names itself): fine. Never named for 1.5 s: foreign.
        seen["10"] = Seen(firstUnnamed: 0, lastUnnamed: 2_000_000_000, named: true, names: ["umcgtop", "umcg-srv0"])
        seen["11"] = Seen(firstUnnamed: 0, lastUnnamed: 1_500_000_000, named: false, names: ["umcgtop"])
        seen["12"] = Seen(firstUnnamed: 0, lastUnnamed: 40_000_000, named: false, names: ["umcgtop"])
        #expect(Self.foreign(seen) == ["11:umcgtop"])
    }
}
