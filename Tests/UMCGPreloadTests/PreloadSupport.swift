import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Builds the C programs of this suite with `cc` and runs them under `LD_PRELOAD=libumcg.so`.
enum Preload {
    /// The package root, from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug build of the library (`swift build --product umcg`; scripts/test builds it).
    static let library: String = packageRoot.appendingPathComponent(".build/debug/libumcg.so").path

    /// Whether the library was built (the suite is skipped, with the reason, otherwise).
    static var libraryExists: Bool { FileManager.default.fileExists(atPath: library) }

    /// The C sources of this suite.
    static let sources: URL = packageRoot.appendingPathComponent("Tests/UMCGPreloadTests/c")

    /// A scratch directory for this test process.
    static let scratch: String = {
        let dir = "/tmp/umcgtop-preload-\(getpid())"
        mkdir(dir, 0o700)
        return dir
    }()

    /// What a finished program produced.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    /// Compiles `source` (in `directory`, by default Tests/UMCGPreloadTests/c) into the scratch directory; returns the
    /// executable's path, or the compiler's output as the error.
    static func compile(_ source: String, in directory: URL = sources, flags: [String] = []) throws -> String {
        let out = "\(scratch)/\((source as NSString).deletingPathExtension)\(flags.joined().filter(\.isLetter))"
        let result = try run(
            "cc",
            ["-O2", "-Wall", "-pthread", "-o", out, directory.appendingPathComponent(source).path] + flags + ["-ldl"],
            environment: [:], timeout: 120)
        guard result.status == 0 else { throw CompileError(output: result.stderr + result.stdout) }
        return out
    }

    /// `compile(source)` as a result, for a suite's `static let` (compiled once per test process).
    static func compiled(_ source: String) -> Swift.Result<String, CompileError> {
        do {
            return .success(try compile(source))
        } catch let error as CompileError {
            return .failure(error)
        } catch {
            return .failure(CompileError(output: "\(error)"))
        }
    }

    /// The compiler refused a program.
    struct CompileError: Error, CustomStringConvertible {
        var output: String
        var description: String { "cc failed:\n\(output)" }
    }

    /// Runs `executable` with the library preloaded (plus `environment`), killing it after `timeout` s.
    static func runPreloaded(
        _ executable: String, _ args: [String], environment: [String: String] = [:], timeout: Double = 30
    ) throws -> Result {
        var env = environment
        env["LD_PRELOAD"] = library
        return try run(executable, args, environment: env, timeout: timeout)
    }

    /// Runs a program with posix_spawnp (empty signal mask, default dispositions: the test runner's
    /// threads block signals, and the preemption signal must reach the child), stdout and stderr
    /// into scratch files, the current environment plus `environment`.
    static func run(
        _ executable: String, _ args: [String], environment: [String: String], timeout: Double
    ) throws -> Result {
        try Running(executable, args, environment: environment).finish(timeout: timeout)
    }

    /// A program started by `Running.init` and not waited for yet.
    final class Running {
        /// Its process id.
        let pid: pid_t
        let outPath: String
        let errPath: String
        /// Its wait status once reaped (by `waitForLine` when it ended early).
        private var reaped: Int32?

        /// Starts `executable` as `run` does, without waiting for it.
        init(_ executable: String, _ args: [String], environment: [String: String]) throws {
            let tag = UInt32.random(in: 0...UInt32.max)
            outPath = "\(scratch)/out-\(tag)"
            errPath = "\(scratch)/err-\(tag)"
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
            var merged = ProcessInfo.processInfo.environment
            merged.removeValue(forKey: "LD_PRELOAD")
            for (k, v) in environment { merged[k] = v }
            let argv = ([executable] + args).map { strdup($0) } + [nil]
            let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                for p in argv { free(p) }
                for p in envp { free(p) }
            }
            var pid: pid_t = 0
            let rc = posix_spawnp(&pid, executable, &actions, &attr, argv, envp)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
            self.pid = pid
        }

        /// What it wrote to stdout so far.
        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

        /// Waits (polling, at most `timeout` s) until its stdout has a line starting with `prefix`;
        /// returns that line, or nil when the time ran out or the program ended first.
        func waitForLine(startingWith prefix: String, timeout: Double) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                    return String(line)
                }
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    reaped = status
                    return stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
                }
                usleep(10_000)
            }
            return nil
        }

        /// Waits for it to end (killing it after `timeout` s) and collects its output.
        func finish(timeout: Double) -> Result {
            var status: Int32 = reaped ?? 0
            let deadline = Date().addingTimeInterval(timeout)
            var ended = reaped != nil
            while !ended && Date() < deadline {
                if waitpid(pid, &status, WNOHANG) == pid {
                    ended = true
                    break
                }
                usleep(10_000)
            }
            if !ended {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
            let sig = status & 0x7f
            let out = stdout
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            unlink(outPath)
            unlink(errPath)
            return Result(
                status: sig == 0 ? (status >> 8) & 0xff : 128 + sig, stdout: out, stderr: err, timedOut: !ended)
        }
    }
}
