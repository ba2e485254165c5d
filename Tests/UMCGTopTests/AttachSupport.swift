import Foundation
import Testing
import UMCGSystem

/// Targets for the `--attach`, `run` and `ps` end-to-end tests: the EmbeddedCounter example
/// (publishing its engine) and the C program of Tests/UMCGTopTests/c.
enum AttachTargets {
    /// The EmbeddedCounter example (`swift build --product EmbeddedCounter`; scripts/test builds it).
    static let embeddedCounter: String = EndToEnd.packageRoot.appendingPathComponent(".build/debug/EmbeddedCounter")
        .path

    /// Whether the example was built (the tests that attach to it skip otherwise).
    static var embeddedCounterExists: Bool { FileManager.default.isExecutableFile(atPath: embeddedCounter) }

    /// libumcg.so next to the umcgtop binary (`umcgtop run` preloads it).
    static let library: String = EndToEnd.packageRoot.appendingPathComponent(".build/debug/libumcg.so").path

    /// Whether the library was built (`swift build --product umcg`).
    static var libraryExists: Bool { FileManager.default.fileExists(atPath: library) }

    /// Whether a C compiler is installed.
    static var compilerExists: Bool {
        ["/usr/bin/cc", "/usr/local/bin/cc", "/bin/cc"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The region file of process `pid`.
    static func regionPath(_ pid: pid_t) -> String { "/dev/shm/umcgtop.\(pid)" }

    /// Starts EmbeddedCounter publishing its engine for `seconds`; waits (bounded) for its region.
    static func startEmbeddedCounter(seconds: Int = 60) throws -> EndToEnd.Child {
        let child = try EndToEnd.Child(embeddedCounter, ["\(seconds)", "--publish"])
        let published = EndToEnd.wait(timeout: 60) {
            child.poll() != nil || FileManager.default.fileExists(atPath: regionPath(child.pid))
        }
        try #require(published && child.poll() == nil, "EmbeddedCounter never published:\n\(child.stdout)")
        return child
    }

    /// Removes a compiled program and its scratch directory (defer).
    static func removeProgram(_ path: String) {
        unlink(path)
        rmdir((path as NSString).deletingLastPathComponent)
    }

    /// Kills and reaps a target (defer).
    static func stop(_ child: EndToEnd.Child) {
        if child.poll() == nil { child.send(SIGKILL) }
        _ = child.finish(timeout: 30)
        // A SIGKILLed target leaves its region behind: the next `ps` or attach removes it.
        unlink(regionPath(child.pid))
    }

    /// Compiles `directory`/`source` (by default Tests/UMCGTopTests/c) with cc into a scratch directory
    /// (the program keeps its name: its command name is what the status line shows); returns its path.
    static func compile(_ source: String, in directory: String = "Tests/UMCGTopTests/c") throws -> String {
        let dir = EndToEnd.scratch("bin")
        mkdir(dir, 0o755)
        let out = "\(dir)/\((source as NSString).deletingPathExtension)"
        let path = EndToEnd.packageRoot.appendingPathComponent("\(directory)/\(source)").path
        let r = try EndToEnd.Child("cc", ["-O2", "-Wall", "-pthread", "-o", out, path]).finish(timeout: 120)
        try #require(r.status == 0, "cc failed:\n\(r.stderr)")
        return out
    }

    /// The JSON summary's worker objects by name.
    static func workers(_ summary: [String: Any]) -> [String: [String: Any]] {
        let list = summary["workers"] as? [[String: Any]] ?? []
        var byName: [String: [String: Any]] = [:]
        for w in list { if let name = w["name"] as? String { byName[name] = w } }
        return byName
    }

    /// `umcgtop ps --json`'s object for `pid`, nil when it is not listed (or ps failed).
    static func psRow(_ pid: pid_t) -> [String: Any]? {
        guard let r = try? EndToEnd.run(["ps", "--json"]), r.status == 0, let data = r.stdout.data(using: .utf8),
            let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
        else { return nil }
        return list.first { ($0["pid"] as? NSNumber)?.int32Value == pid }
    }

    /// The summary's engine counter `name` (engine.switches, engine.blocks, …); -1 when absent.
    static func engineCount(_ summary: [String: Any], _ name: String) -> Int {
        ((summary["engine"] as? [String: Any])?[name] as? NSNumber)?.intValue ?? -1
    }

    /// The summary's total switches (engine.switches).
    static func switches(_ summary: [String: Any]) -> Int { engineCount(summary, "switches") }

    /// The summary's total BLOCK events (engine.blocks).
    static func blocks(_ summary: [String: Any]) -> Int { engineCount(summary, "blocks") }
}
