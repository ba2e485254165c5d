import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@Suite(
    .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct TmuxLiveTests {
    private func panelsShown(_ s: String) -> Bool { TmuxSession.panelsShown(s) }

    @Test func liveViewHelpResizeAndQuit() throws {
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --refresh 200; echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60, panelsShown), "panels never appeared:\n\(tmux.screen())")
        try tmux.keys("?")
        #expect(tmux.waitFor { $0.contains("umcgtop help") }, "no help overlay:\n\(tmux.screen())")
        try tmux.keys("?")
        #expect(tmux.waitFor { !$0.contains("umcgtop help") }, "help did not close:\n\(tmux.screen())")
        try tmux.resize(width: 30, height: 8)
        #expect(tmux.waitFor { $0.contains("too small") }, "no too-small note:\n\(tmux.screen())")
        try tmux.resize(width: 120, height: 40)
        #expect(tmux.waitFor(panelsShown), "panels did not come back:\n\(tmux.screen())")
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 0") }, "no clean exit:\n\(tmux.screen())")
        try tmux.type("echo SHELL-OK-$((40+2))")
        #expect(tmux.waitFor { $0.contains("SHELL-OK-42") }, "shell not usable after exit:\n\(tmux.screen())")
    }

    @Test func sigintWhileRecordingClosesTheFileAndExits130() throws {
        let path = EndToEnd.scratch("tmux-rec.umcgtrace")
        defer { unlink(path) }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --record \(path) --no-baselines --workers 4; echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60) { panelsShown($0) && $0.contains("REC") }, "no REC:\n\(tmux.screen())")
        try tmux.keys("C-c")
        #expect(tmux.waitFor { $0.contains("EXITED 130") }, "no exit 130:\n\(tmux.screen())")
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.cleanEnd)
        #expect(reader.summary.events > 0)
        try tmux.type("echo SHELL-OK-$((40+2))")
        #expect(tmux.waitFor { $0.contains("SHELL-OK-42") }, "shell not usable after exit:\n\(tmux.screen())")
    }

    @Test func closingTheTerminalStillClosesTheRecording() throws {
        let path = EndToEnd.scratch("hup.umcgtrace")
        defer { unlink(path) }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --record \(path) --no-baselines --workers 4")
        #expect(tmux.waitFor(timeout: 60) { panelsShown($0) && $0.contains("REC") }, "no REC:\n\(tmux.screen())")
        // Killing the server closes the pane: umcgtop gets SIGHUP and must still finish the file.
        tmux.kill()
        let clean = EndToEnd.wait(timeout: 60) { (try? TraceReader.open(path: path))?.summary.cleanEnd == true }
        #expect(clean, "\(String(describing: (try? TraceReader.open(path: path))?.summary))")
    }

    @Test func fatalSignalStillRestoresTheTerminal() throws {
        let pidFile = EndToEnd.scratch("pid")
        defer { unlink(pidFile) }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("sh -c 'echo $$ > \(pidFile); exec \(EndToEnd.binary) --no-baselines'; echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60, panelsShown), "panels never appeared:\n\(tmux.screen())")
        #expect(try tmux.tmux(["display", "-p", "#{alternate_on}"]).hasPrefix("1"))
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGSEGV)
        #expect(tmux.waitFor { $0.contains("EXITED 139") }, "no death by SIGSEGV:\n\(tmux.screen())")
        // Out of the alternate screen, cursor visible: the handler restored the terminal.
        #expect(try tmux.tmux(["display", "-p", "#{alternate_on} #{cursor_flag}"]).hasPrefix("0 1"))
        try tmux.type("echo SHELL-OK-$((40+2))")
        #expect(tmux.waitFor { $0.contains("SHELL-OK-42") }, "shell not usable after the crash:\n\(tmux.screen())")
    }

    @Test func pauseFreezesTheViewAndSpaceResumes() throws {
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --no-baselines; echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60) { panelsShown($0) && $0.contains("LIVE") }, "no LIVE:\n\(tmux.screen())")
        try tmux.keys("Space")
        #expect(tmux.waitFor { $0.contains("PAUSED") }, "no PAUSED:\n\(tmux.screen())")
        try tmux.keys("Space")
        #expect(tmux.waitFor { $0.contains("LIVE") && !$0.contains("PAUSED") }, "no resume:\n\(tmux.screen())")
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 0") }, "no clean exit:\n\(tmux.screen())")
    }

    @Test func unusableTermIsAOneLineError() throws {
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("TERM=no-such-terminal \(EndToEnd.binary) --no-baselines; echo EXITED $?")
        #expect(tmux.waitFor { $0.contains("EXITED 1") }, "no exit 1:\n\(tmux.screen())")
        #expect(tmux.screen().contains("umcgtop: error: cannot start the terminal (TERM=no-such-terminal)"))
    }
    @Test func sigintRestoresTheTerminalAndExits130() throws {
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --no-baselines --workers 4; echo EXITED $?")
        #expect(tmux.waitFor(timeout: 60, panelsShown), "panels never appeared:\n\(tmux.screen())")
        try tmux.keys("C-c")
        #expect(tmux.waitFor { $0.contains("EXITED 130") }, "no exit 130:\n\(tmux.screen())")
        try tmux.type("echo SHELL-OK-$((40+2))")
        #expect(tmux.waitFor { $0.contains("SHELL-OK-42") }, "shell not usable after exit:\n\(tmux.screen())")
    }
}
