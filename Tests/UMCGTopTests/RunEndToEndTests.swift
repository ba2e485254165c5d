import Foundation
import Testing
import UMCGSystem

/// `umcgtop run -- CMD`: CMD under libumcg.so with publishing on, watched, its exit status passed through.
@Suite(
    .serialized,
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"),
    .enabled(if: AttachTargets.libraryExists, "build libumcg.so first: swift build --product umcg (scripts/test does)"))
struct RunEndToEndTests {
    @Test func exitStatusIsTheCommandsAndNoUMCGActivityIsSaid() throws {
        let r = try EndToEnd.run(["run", "--headless", "--", "sh", "-c", "exit 7"])
        #expect(r.status == 7, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("with no UMCG activity"), "\(r.stderr)")
        let killed = try EndToEnd.run(["run", "--headless", "--", "sh", "-c", "kill -9 $$"])
        #expect(killed.status == 128 + 9, "stderr: \(killed.stderr)")
    }

    @Test func aMissingCommandOrLibraryIsOneLine() throws {
        let missing = try EndToEnd.run(["run", "--headless", "--", "/nonexistent/program"])
        #expect(missing.status == 127)
        #expect(missing.stderr.hasPrefix("umcgtop: error: cannot run /nonexistent/program"), "\(missing.stderr)")
        let none = try EndToEnd.run(["run", "--headless"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("run needs a command after --"), "\(none.stderr)")
        let child = try EndToEnd.Child(
            "/usr/bin/env",
            ["UMCGTOP_PRELOAD=/nonexistent/libumcg.so", EndToEnd.binary, "run", "--headless", "--", "true"])
        let r = child.finish(timeout: 60)
        #expect(r.status == 1)
        #expect(r.stderr == "umcgtop: error: UMCGTOP_PRELOAD=/nonexistent/libumcg.so is not a file\n", "\(r.stderr)")
    }

    @Test(
        .enabled(
            if: AttachTargets.embeddedCounterExists,
            "build the example first: swift build --product EmbeddedCounter (scripts/test does)"))
    func aSwiftProgramEmbeddingTheEngineIsWatchedUntilItExits() throws {
        let r = try EndToEnd.run(
            ["run", "--headless", "--json", "--refresh", "200", "--", AttachTargets.embeddedCounter, "3"], timeout: 120)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let summary = try #require(EndToEnd.jsonObject(r.stdout), "not JSON: \(r.stdout)")
        #expect(summary["mode"] as? String == "attach")
        #expect((summary["target"] as? String)?.hasPrefix("exited") == true, "\(r.stdout)")
        #expect(AttachTargets.workers(summary)["words-0"] != nil, "\(r.stdout)")
        #expect(AttachTargets.switches(summary) > 0, "\(r.stdout)")
    }

    /// `--sud`: the raw `nanosleep` instructions of Tests/UMCGPreloadTests/c/sud_raw.c become BLOCKs
    /// the view counts (that program fails unless they do); without it the same sleep goes unseen.
    @Test(.enabled(if: AttachTargets.compilerExists, "needs cc"))
    func sudShowsBlocksTheInterposersCannotSee() throws {
        let exe = try AttachTargets.compile("sud_raw.c", in: "Tests/UMCGPreloadTests/c")
        defer { AttachTargets.removeProgram(exe) }
        let dispatched = try EndToEnd.run(
            ["run", "--headless", "--json", "--sud", "--refresh", "200", "--", exe, "dispatched"], timeout: 120)
        #expect(dispatched.status == 0, "stderr: \(dispatched.stderr)")
        let summary = try #require(EndToEnd.jsonObject(dispatched.stdout), "not JSON: \(dispatched.stdout)")
        #expect(AttachTargets.blocks(summary) >= 2, "\(dispatched.stdout)")
        let plain = try EndToEnd.run(
            ["run", "--headless", "--json", "--refresh", "200", "--", exe, "plain"], timeout: 120)
        #expect(plain.status == 0, "stderr: \(plain.stderr)")
        let plainSummary = try #require(EndToEnd.jsonObject(plain.stdout), "not JSON: \(plain.stdout)")
        #expect(AttachTargets.blocks(plainSummary) == 0, "\(plain.stdout)")
        #expect(AttachTargets.switches(plainSummary) > 0, "\(plain.stdout)")
    }

    @Test(.enabled(if: AttachTargets.compilerExists, "needs cc"))
    func aCProgramsNamedWorkersAreWatchedHeadless() throws {
        let exe = try AttachTargets.compile("named_workers.c")
        defer { AttachTargets.removeProgram(exe) }
        let r = try EndToEnd.run(
            ["run", "--headless", "--json", "--refresh", "200", "--", exe, "3", "5"], timeout: 120)
        #expect(r.status == 5, "stderr: \(r.stderr)")
        let summary = try #require(EndToEnd.jsonObject(r.stdout), "not JSON: \(r.stdout)\nstderr: \(r.stderr)")
        let workers = AttachTargets.workers(summary)
        for name in ["pinger-0", "pinger-1", "pinger-2"] {
            let switches = (workers[name]?["switches"] as? NSNumber)?.intValue ?? 0
            #expect(switches > 0, "\(name): \(workers.keys.sorted()) in \(r.stdout)")
        }
        #expect(summary["target_exit_status"] as? NSNumber == 5, "\(r.stdout)")
    }

    /// The SW/S cell of worker `name` on a dashboard screen ("-" or a rate), nil when it has no row.
    static func switchRate(_ screen: String, _ name: String) -> String? {
        for line in screen.split(separator: "\n") {
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "│" || $0 == "|" }).map(String.init)
            if let i = tokens.firstIndex(of: name), i + 2 < tokens.count { return tokens[i + 2] }
        }
        return nil
    }

    /// Whether a rate cell shows switching (not "-", not 0).
    static func switching(_ cell: String?) -> Bool {
        guard let cell, cell != "-", cell != "0" else { return false }
        return cell.first?.isNumber == true
    }

    @Test(
        .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
        .enabled(if: AttachTargets.compilerExists, "needs cc"))
    func tmuxShowsTheCProgramsNamedWorkersSwitchingThenItsExit() throws {
        let exe = try AttachTargets.compile("named_workers.c")
        defer { AttachTargets.removeProgram(exe) }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        // 15 s of switching: on a loaded machine the first frames with rates can take several seconds.
        try tmux.type("\(EndToEnd.binary) run --refresh 250 -- \(exe) 15 3; echo EXITED $?")
        let shown = tmux.waitFor(timeout: 60) { s in
            s.contains("ATTACHED") && s.contains("named_workers")
                && ["pinger-0", "pinger-1", "pinger-2"].allSatisfy { Self.switching(Self.switchRate(s, $0)) }
        }
        #expect(shown, "no switching named workers:\n\(tmux.screen())")
        #expect(
            tmux.waitFor(timeout: 60) { $0.contains("exited (exit status 3)") }, "no exit shown:\n\(tmux.screen())")
        // The last state stays on screen.
        #expect(tmux.screen().contains("pinger-0"), "rows gone after the exit:\n\(tmux.screen())")
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 3") }, "umcgtop's status is not the command's:\n\(tmux.screen())")
    }

    @Test(
        .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
        .enabled(if: AttachTargets.compilerExists, "needs cc"))
    func quittingDetachesAndCtrlCIsForwardedToTheCommand() throws {
        let exe = try AttachTargets.compile("named_workers.c")
        defer { AttachTargets.removeProgram(exe) }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) run --refresh 250 -- \(exe) 120; echo EXITED $?")
        #expect(
            tmux.waitFor(timeout: 60) { $0.contains("ATTACHED") && $0.contains("pinger-0") },
            "not attached:\n\(tmux.screen())")
        try tmux.keys("q")
        #expect(
            tmux.waitFor { $0.contains("umcgtop: detached; waiting for") }, "no detach line:\n\(tmux.screen())")
        // The command runs on (in its own process group): Ctrl-C reaches it through umcgtop.
        try tmux.keys("C-c")
        #expect(tmux.waitFor { $0.contains("EXITED 130") }, "not the command's SIGINT status:\n\(tmux.screen())")
    }
}
