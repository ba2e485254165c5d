import Foundation
import Testing
import UMCGSystem

/// Runs the built `umcgtop` binary (`.build/debug/umcgtop`, built by `scripts/test` before `swift test`)
/// and other helpers (tmux) as child processes.
enum EndToEnd {
    /// The package root, from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug binary.
    static let binary: String = packageRoot.appendingPathComponent(".build/debug/umcgtop").path

    /// True when the binary was built (the end-to-end tests skip otherwise).
    static var binaryExists: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// A unique scratch path under /tmp.
    static func scratch(_ name: String) -> String {
        "/tmp/umcgtop-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    /// What a finished run produced.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    /// A child started with posix_spawn: an empty signal mask and default dispositions
    /// (the test runner's threads block signals, and Foundation's Process passes that mask on),
    /// stdin from /dev/null, stdout and stderr into scratch files.
    final class Child {
        let pid: pid_t
        let outPath = EndToEnd.scratch("stdout")
        let errPath = EndToEnd.scratch("stderr")
        private var exitStatus: Int32?

        init(_ executable: String, _ args: [String]) throws {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            var attr = posix_spawnattr_t()
            posix_spawnattr_init(&attr)
            defer { posix_spawnattr_destroy(&attr) }
            var empty = sigset_t()
            sigemptyset(&empty)
            posix_spawnattr_setsigmask(&attr, &empty)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigdefault(&attr, &all)
            posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            let argv = ([executable] + args).map { strdup($0) } + [nil]
            let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                for p in argv { free(p) }
                for p in envp { free(p) }
            }
            var child: pid_t = 0
            let rc = posix_spawnp(&child, executable, &actions, &attr, argv, envp)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
            pid = child
        }

        /// Exit status if the child ended (128 + signal for a signal death), nil while it runs.
        func poll() -> Int32? {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let sig = status & 0x7f
            exitStatus = sig == 0 ? (status >> 8) & 0xff : 128 + sig
            return exitStatus
        }

        /// Sends `signal` to the child.
        func send(_ signal: Int32) { kill(pid, signal) }

        /// Stdout so far.
        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

        /// Waits (polling with a deadline) for the child to end; SIGKILLs it after `timeout` seconds.
        func finish(timeout: Double) -> Result {
            let ended = EndToEnd.wait(timeout: timeout) { poll() != nil }
            if !ended {
                kill(pid, SIGKILL)
                _ = EndToEnd.wait(timeout: 10) { poll() != nil }
            }
            let out = stdout
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            unlink(outPath)
            unlink(errPath)
            return Result(status: poll() ?? -1, stdout: out, stderr: err, timedOut: !ended)
        }
    }

    /// Runs the umcgtop binary to completion.
    static func run(_ args: [String], timeout: Double = 60) throws -> Result {
        try Child(binary, args).finish(timeout: timeout)
    }

    /// Waits until `condition` holds or `timeout` seconds pass; returns whether it held.
    static func wait(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Parses one JSON object.
    static func jsonObject(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
