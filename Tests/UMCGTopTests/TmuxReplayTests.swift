import Foundation
import Testing
import UMCGSystem

@Suite(
    .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct TmuxReplayTests {
    /// The replay position and length the status line shows ("00:01.0/00:03.0"), in tenths of a second.
    static func position(_ screen: String) -> (at: Int, of: Int)? {
        guard let line = screen.split(separator: "\n").first(where: { $0.contains("REPLAY") }) else { return nil }
        let parts = line.split(separator: " ")
        guard let token = parts.first(where: { $0.filter { $0 == "/" }.count == 1 && $0.contains(":") }) else {
            return nil
        }
        let halves = token.split(separator: "/").map(String.init)
        func tenths(_ s: String) -> Int? {
            let mmss = s.split(separator: ":")
            guard mmss.count == 2, let m = Int(mmss[0]), let sec = Double(mmss[1]) else { return nil }
            return m * 600 + Int((sec * 10).rounded())
        }
        guard halves.count == 2, let a = tenths(halves[0]), let b = tenths(halves[1]) else { return nil }
        return (a, b)
    }

    @Test func positionParsing() {
        let p = Self.position(" REPLAY  f 00:01.5/01:03.0 ×1 ▶ │ x")
        #expect(p?.at == 15 && p?.of == 630)
        #expect(Self.position("LIVE") == nil)
    }

    @Test func replayShowsPanelsSeeksAndQuits() throws {
        let path = EndToEnd.scratch("tmux-replay.umcgtrace")
        defer { unlink(path) }
        let rec = try EndToEnd.run([
            "--headless", "--record", path, "--duration", "3", "--no-baselines", "--workers", "4",
        ])
        #expect(rec.status == 0, "recording failed: \(rec.stderr)")

        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --replay \(path); echo EXITED $?")
        #expect(
            tmux.waitFor(timeout: 60) {
                $0.contains("REPLAY") && TmuxSession.panelsShown($0)
            }, "replay never showed the panels:\n\(tmux.screen())")
        // Pause and go to the start, so only seeks move the position.
        try tmux.keys("Space")
        #expect(tmux.waitFor { $0.contains("⏸") || $0.contains("||") }, "not paused:\n\(tmux.screen())")
        try tmux.keys("g")
        #expect(tmux.waitFor { Self.position($0)?.at == 0 }, "g did not seek to the start:\n\(tmux.screen())")
        let length = try #require(Self.position(tmux.screen())?.of, "no position:\n\(tmux.screen())")
        #expect(length >= 20)
        try tmux.keys("Right")
        #expect(tmux.waitFor { Self.position($0)?.at == 10 }, "→ did not seek to 1 s:\n\(tmux.screen())")
        try tmux.keys("G")
        #expect(
            tmux.waitFor { s in Self.position(s).map { $0.at == $0.of } ?? false },
            "G did not seek to the end:\n\(tmux.screen())")
        try tmux.keys("Left")
        #expect(
            tmux.waitFor { Self.position($0)?.at == length - 10 }, "← did not seek back 1 s:\n\(tmux.screen())")
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 0") }, "no clean exit:\n\(tmux.screen())")
    }
}
