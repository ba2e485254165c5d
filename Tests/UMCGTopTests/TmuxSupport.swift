import Foundation
import Testing
import UMCGSystem

/// A private tmux server (its own socket) running an interactive shell in one pane.
final class TmuxSession {
    let socket = "umcgtop-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// True when tmux is installed (the tmux tests skip otherwise).
    static var available: Bool {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Starts a detached width×height session running a plain shell.
    init(width: Int = 120, height: Int = 40) throws {
        _ = try tmux([
            "-u", "new-session", "-d", "-x", "\(width)", "-y", "\(height)",
            "env PS1='$ ' bash --norc --noprofile",
        ])
    }

    /// Kills the whole private server (call in a defer).
    func kill() {
        _ = try? tmux(["kill-server"])
        // tmux leaves its socket file behind when the server cannot be reaped at once.
        unlink("\(ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp")/tmux-\(getuid())/\(socket)")
    }

    /// Runs one tmux command on this server; returns its stdout.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let r = try EndToEnd.Child("tmux", ["-L", socket, "-f", "/dev/null"] + args).finish(timeout: 60)
        return r.stdout
    }

    /// Types `text` and presses Enter.
    func type(_ text: String) throws {
        try tmux(["send-keys", "-l", text])
        try tmux(["send-keys", "Enter"])
    }

    /// Sends tmux key names (`q`, `?`, `Right`, `C-c`).
    func keys(_ names: String...) throws { try tmux(["send-keys"] + names) }

    /// Resizes the window (the program receives SIGWINCH → KEY_RESIZE).
    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-x", "\(width)", "-y", "\(height)"])
    }

    /// The visible pane text.
    func screen() -> String { (try? tmux(["capture-pane", "-p"])) ?? "" }

    /// Polls the pane until `condition` holds (true) or `timeout` seconds pass (false).
    func waitFor(timeout: Double = 60, _ condition: (String) -> Bool) -> Bool {
        EndToEnd.wait(timeout: timeout) { condition(screen()) }
    }

    /// The dashboard is up: the three panel titles and the futex and condvar rows are on screen.
    static func panelsShown(_ s: String) -> Bool {
        s.contains("Servers") && s.contains("Switch rate") && s.contains("Workers") && s.contains(" futex ")
            && s.contains(" condvar ")
    }
}
