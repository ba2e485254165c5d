import Foundation
import Testing
import UMCGSystem

/// Terminals the dashboard cannot draw on are refused with the documented line, in a real terminal.
@Suite(
    .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct TmuxTerminalRefusalTests {
    @Test(arguments: ["dumb", "no-such-terminal"])
    func aTerminalWithoutCursorAddressingIsRefused(term: String) throws {
        let tmux = try TmuxSession(width: 100, height: 30)
        defer { tmux.kill() }
        try tmux.type("TERM=\(term) \(EndToEnd.binary) --no-baselines; echo EXITED $?")
        let exited = { (s: String) in s.split(separator: "\n").contains { $0.hasPrefix("EXITED ") } }
        #expect(tmux.waitFor(timeout: 60, exited), "no exit:\n\(tmux.screen())")
        let screen = tmux.screen()
        #expect(screen.contains("umcgtop: error: cannot start the terminal (TERM=\(term))"), "\(screen)")
        #expect(screen.split(separator: "\n").contains("EXITED 1"), "\(screen)")
    }
}
