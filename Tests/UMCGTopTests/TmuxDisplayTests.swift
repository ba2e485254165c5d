import Foundation
import Testing
import UMCGSystem

@Suite(
    .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct TmuxDisplayTests {
    /// True when the SGR sequences of `captured` (capture-pane -e) set a foreground or background colour.
    static func usesColour(_ captured: String) -> Bool {
        var rest = Substring(captured)
        while let esc = rest.range(of: "\u{1b}[") {
            rest = rest[esc.upperBound...]
            guard let m = rest.firstIndex(where: { !($0.isNumber || $0 == ";") }) else { break }
            if rest[m] == "m" {
                let params = rest[..<m].split(separator: ";").compactMap { Int($0) }
                if params.contains(where: {
                    (30...38).contains($0) || (40...48).contains($0) || (90...107).contains($0)
                }) {
                    return true
                }
            }
            rest = rest[m...]
        }
        return false
    }

    @Test func colourParsing() {
        #expect(Self.usesColour("a\u{1b}[32mb"))
        #expect(Self.usesColour("\u{1b}[1;38;5;2mx"))
        #expect(!Self.usesColour("\u{1b}[1m\u{1b}[7mx\u{1b}[0m\u{1b}[39m"))
    }

    private func show(_ command: String) throws -> (plain: String, escaped: String) {
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(command); echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60, TmuxSession.panelsShown), "no panels:\n\(tmux.screen())")
        let plain = tmux.screen()
        let escaped = (try? tmux.tmux(["capture-pane", "-p", "-e"])) ?? ""
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 0") }, "no clean exit:\n\(tmux.screen())")
        return (plain, escaped)
    }

    @Test func coloursByDefaultNoneUnderNO_COLOROrNoColor() throws {
        // The test runner may itself run under NO_COLOR: set the environment explicitly.
        let coloured = try show("env -u NO_COLOR \(EndToEnd.binary) --no-baselines")
        #expect(Self.usesColour(coloured.escaped))
        let noColorEnv = try show("NO_COLOR=1 \(EndToEnd.binary) --no-baselines")
        #expect(!Self.usesColour(noColorEnv.escaped))
        let noColorFlag = try show("env -u NO_COLOR \(EndToEnd.binary) --no-color --no-baselines")
        #expect(!Self.usesColour(noColorFlag.escaped))
    }

    @Test func asciiModeDrawsOnlyASCII() throws {
        let shown = try show("\(EndToEnd.binary) --ascii --no-baselines")
        let dashboard = shown.plain.split(separator: "\n").filter { !$0.contains("EXITED") && !$0.hasPrefix("$ ") }
        let nonASCII = dashboard.flatMap { $0.unicodeScalars.filter { $0.value > 126 } }
        #expect(nonASCII.isEmpty, "non-ASCII: \(String(String.UnicodeScalarView(nonASCII)))")
    }
}
