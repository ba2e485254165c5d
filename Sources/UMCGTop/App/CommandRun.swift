import Glibc
import UMCGSystem
import UMCGTrace

/// `umcgtop run -- CMD ARGS…`: starts CMD under `libumcg.so` with publishing on, waits for its
/// region (bounded, while CMD lives), shows it through an `AttachSource`, and returns CMD's exit
/// status. SIGINT and SIGTERM are forwarded to CMD (it runs in its own process group, so a
/// terminal's Ctrl-C reaches it once, through us); SIGHUP ends the view and is forwarded too.
enum CommandRun {
    /// How often the wait for CMD's region polls, in ns.
    static let pollNanos: UInt64 = 10_000_000

    /// Returns the exit status (CMD's, or umcgtop's own for its errors).
    static func run(_ command: RunCommand) -> Int32 {
        SignalMonitor.install()
        if !command.headless && !TerminalGuard.stdioIsTerminal {
            StandardStreams.errorLine("umcgtop: error: \(TerminalError.notATerminal)")
            return 1
        }
        let library: String
        do {
            library = try preloadLibrary()
        } catch {
            StandardStreams.errorLine("umcgtop: error: \(error.message)")
            return error.status
        }
        let name = command.command[0]
        let child: ChildProcess
        do {
            child = try ChildProcess(
                path: name, arguments: command.command,
                environment: environment(preload: library, dispatch: command.syscallDispatch),
                output: command.headless ? nil : (command.output ?? "/dev/null"), newProcessGroup: true,
                stdoutToStderr: command.json)
        } catch {
            StandardStreams.errorLine("umcgtop: error: cannot run \(name): \(error)")
            return error == .ENOENT ? 127 : 126
        }
        let source: AttachSource
        switch waitForRegion(child, command: command) {
        case .attached(let s): source = s
        case .ended(let t):
            StandardStreams.errorLine("umcgtop: \(name) (pid \(child.pid)) \(t) with no UMCG activity")
            return t.shellStatus
        case .failed(let line):
            StandardStreams.errorLine("umcgtop: \(line); waiting for \(name) (pid \(child.pid)) to exit")
            return waitForChild(child)
        }
        let presentation = Dashboard.Presentation(
            headless: command.headless, duration: command.duration, interval: command.interval ?? 1,
            json: command.json, refreshMillis: command.refresh, ascii: command.ascii, noColor: command.noColor)
        var hangup = false
        let status = Dashboard.run(
            source, mode: .attached(pid: source.pid, command: source.commandName), presentation,
            pendingSignal: {
                guard let sig = SignalMonitor.received else { return nil }
                SignalMonitor.reset()
                child.signal(sig)
                if sig == SIGHUP {
                    hangup = true
                    return sig
                }
                return nil
            })
        // The view ended with an error of its own (no terminal, a closed stdout): CMD still runs to its end.
        if child.poll() == nil {
            if !hangup {
                StandardStreams.errorLine("umcgtop: detached; waiting for \(name) (pid \(child.pid)) to exit")
            }
        }
        let childStatus = waitForChild(child)
        return status == HeadlessRunner.brokenPipeStatus ? status : childStatus
    }

    /// What waiting for CMD's region came to.
    enum Wait {
        case attached(AttachSource)
        case ended(ChildProcess.Termination)
        case failed(String)
    }

    /// Polls for CMD's region while CMD lives, up to `--publish-timeout`, forwarding signals.
    static func waitForRegion(_ child: ChildProcess, command: RunCommand) -> Wait {
        let deadline = SystemClock.monotonicNanos() &+ UInt64(min(command.publishTimeout, 1e6) * 1e9)
        // Why the region that exists does not validate (it may still be being created), if one does not.
        var invalid: String?
        while true {
            forwardSignal(to: child)
            if let t = child.poll() { return .ended(t) }
            do {
                return .attached(
                    try SourceFactory.attach(
                        pid: child.pid, record: command.record, force: command.force, child: child))
            } catch let failure as AppFailure {
                // No region yet, or one still being created: keep waiting. Anything else (not
                // ours, cannot record) ends the watch.
                switch failure.status {
                case 66: break
                case 65: invalid = failure.message
                default: return .failed(failure.message)
                }
            } catch {
                return .failed("\(error)")
            }
            if SystemClock.monotonicNanos() >= deadline {
                return .failed(
                    invalid
                        ?? "\(command.command[0]) published no UMCG activity within \(command.publishTimeout) s")
            }
            SystemClock.sleep(nanos: pollNanos)
        }
    }

    /// Waits for CMD to end, forwarding SIGINT/SIGTERM/SIGHUP; its shell status.
    static func waitForChild(_ child: ChildProcess) -> Int32 {
        while true {
            forwardSignal(to: child)
            if let t = child.poll() { return t.shellStatus }
            SystemClock.sleep(nanos: pollNanos)
        }
    }

    /// Passes a received SIGINT/SIGTERM/SIGHUP on to CMD.
    static func forwardSignal(to child: ChildProcess) {
        guard let sig = SignalMonitor.received else { return }
        SignalMonitor.reset()
        child.signal(sig)
    }

    /// The environment of CMD: ours, with libumcg.so first in LD_PRELOAD and UMCGTOP_PUBLISH=1, and
    /// UMCG_SUD=1 when `dispatch` (`--sud`; without it an UMCG_SUD of ours passes on as it is).
    static func environment(preload library: String, dispatch: Bool = false) -> [String] {
        var entries = ProcessEnvironment.all.filter {
            !$0.hasPrefix("LD_PRELOAD=") && !$0.hasPrefix("UMCGTOP_PUBLISH=")
                && !(dispatch && $0.hasPrefix("UMCG_SUD="))
        }
        let existing = getenv("LD_PRELOAD").map { String(cString: $0) } ?? ""
        entries.append("LD_PRELOAD=" + (existing.isEmpty ? library : library + ":" + existing))
        entries.append("UMCGTOP_PUBLISH=1")
        if dispatch { entries.append("UMCG_SUD=1") }
        return entries
    }

    /// `UMCGTOP_PRELOAD`, else libumcg.so next to the umcgtop binary; one-line error when missing.
    static func preloadLibrary() throws(AppFailure) -> String {
        if let raw = getenv("UMCGTOP_PRELOAD"), raw.pointee != 0 {
            let path = String(cString: raw)
            guard FilePath.kind(path) == .regular else {
                throw AppFailure(message: "UMCGTOP_PRELOAD=\(path) is not a file", status: 1)
            }
            return path
        }
        guard let executable = FilePath.executable, let slash = executable.lastIndex(of: "/") else {
            throw AppFailure(
                message: "cannot find the umcgtop binary's directory; set UMCGTOP_PRELOAD to libumcg.so", status: 1)
        }
        let path = String(executable[..<slash]) + "/libumcg.so"
        guard FilePath.kind(path) == .regular else {
            throw AppFailure(
                message:
                    "\(path) is missing: build it (swift build --product umcg) or set UMCGTOP_PRELOAD to libumcg.so",
                status: 1)
        }
        return path
    }
}
