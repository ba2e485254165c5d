import Foundation
import Testing
import UMCGSystem

/// `umcgtop --attach PID` and `umcgtop ps` against the EmbeddedCounter example publishing its engine.
@Suite(
    .serialized,
    .enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"),
    .enabled(
        if: AttachTargets.embeddedCounterExists,
        "build the example first: swift build --product EmbeddedCounter (scripts/test does)"))
struct AttachEndToEndTests {
    @Test func headlessJSONShowsTheTargetsWorkersAndSwitches() throws {
        let target = try AttachTargets.startEmbeddedCounter()
        defer { AttachTargets.stop(target) }
        let r = try EndToEnd.run(["--attach", "\(target.pid)", "--headless", "--json", "--duration", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let summary = try #require(EndToEnd.jsonObject(r.stdout), "not JSON: \(r.stdout)")
        #expect(summary["mode"] as? String == "attach")
        #expect((summary["pid"] as? NSNumber)?.int32Value == target.pid)
        #expect(summary["command"] as? String == "EmbeddedCounter")
        let workers = AttachTargets.workers(summary)
        for name in ["words-0", "words-1", "words-2", "spawner"] {
            #expect(workers[name] != nil, "no worker \(name) in \(workers.keys.sorted())")
        }
        #expect(AttachTargets.switches(summary) > 0, "\(r.stdout)")
        #expect(summary["consumer"] as? Bool == true)
        #expect(((summary["events_received"] as? NSNumber)?.intValue ?? 0) > 0, "\(r.stdout)")
    }

    @Test func attachingTwiceLosesNothingTheCountersKnow() throws {
        let target = try AttachTargets.startEmbeddedCounter()
        defer { AttachTargets.stop(target) }
        let first = try EndToEnd.run(["--attach", "\(target.pid)", "--headless", "--json", "--duration", "1"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let a = try #require(EndToEnd.jsonObject(first.stdout), "not JSON: \(first.stdout)")
        let second = try EndToEnd.run(["--attach", "\(target.pid)", "--headless", "--json", "--duration", "1"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let b = try #require(EndToEnd.jsonObject(second.stdout), "not JSON: \(second.stdout)")
        #expect(AttachTargets.switches(a) > 0)
        #expect(
            AttachTargets.switches(b) >= AttachTargets.switches(a), "first \(first.stdout)\nsecond \(second.stdout)")
        // Per worker too: each worker's counters only grow from one attach to the next.
        let before = AttachTargets.workers(a)
        for (name, w) in AttachTargets.workers(b) {
            let old = (before[name]?["switches"] as? NSNumber)?.intValue ?? 0
            #expect(((w["switches"] as? NSNumber)?.intValue ?? -1) >= old, "\(name)")
        }
        // The first viewer gave its lease and slot back: the second one drained the events.
        #expect(b["consumer"] as? Bool == true)
    }

    @Test func killingTheTargetEndsAHeadlessAttachWithExited() throws {
        let target = try AttachTargets.startEmbeddedCounter()
        defer { AttachTargets.stop(target) }
        let viewer = try EndToEnd.Child(
            EndToEnd.binary, ["--attach", "\(target.pid)", "--headless", "--json", "--refresh", "200"])
        // Wait until the viewer is registered (the target sees one viewer), then kill the target.
        let attached = EndToEnd.wait(timeout: 30) {
            (AttachTargets.psRow(target.pid)?["viewers"] as? NSNumber)?.intValue == 1
        }
        #expect(attached, "the viewer never registered")
        target.send(SIGKILL)
        let r = viewer.finish(timeout: 30)
        #expect(!r.timedOut, "the headless attach did not end when its target died")
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let summary = try #require(EndToEnd.jsonObject(r.stdout), "not JSON: \(r.stdout)")
        #expect((summary["target"] as? String)?.hasPrefix("exited") == true, "\(r.stdout)")
        #expect(AttachTargets.workers(summary)["words-0"] != nil, "the last state is gone: \(r.stdout)")
    }

    @Test func refusalsAreOneLineWithTheirExitStatus() throws {
        // No region: a pid that publishes nothing (this test process).
        let none = try EndToEnd.run(["--attach", "\(getpid())", "--headless", "--duration", "1"])
        #expect(none.status == 66)
        #expect(none.stderr.hasPrefix("umcgtop: error: process \(getpid()) publishes no region"), "\(none.stderr)")
        #expect(none.stderr.split(separator: "\n").count == 1)
        let bad = try EndToEnd.run(["--attach", "0", "--headless"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--attach needs a process id above 0"), "\(bad.stderr)")
        let both = try EndToEnd.run(["--attach", "1", "--replay", "x.umcgtrace", "--headless"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--attach and --replay cannot be used together"), "\(both.stderr)")
        // Scenario flags describe an engine umcgtop starts: refused, not silently ignored.
        let scenario = try EndToEnd.run(["--attach", "1", "--workers", "4", "--workload", "io", "--headless"])
        #expect(scenario.status == 64)
        #expect(
            scenario.stderr.contains("--workers, --workload cannot be used with --attach"), "\(scenario.stderr)")
        let replayed = try EndToEnd.run(["--replay", "x.umcgtrace", "--servers", "2", "--headless"])
        #expect(replayed.status == 64)
        #expect(replayed.stderr.contains("--servers cannot be used with --replay"), "\(replayed.stderr)")
    }

    @Test func psListsThePublishingProcess() throws {
        let target = try AttachTargets.startEmbeddedCounter()
        defer { AttachTargets.stop(target) }
        let row = try #require(AttachTargets.psRow(target.pid), "ps --json does not list \(target.pid)")
        #expect(row["command"] as? String == "EmbeddedCounter")
        #expect(row["attachable"] as? Bool == true)
        #expect(((row["workers"] as? NSNumber)?.intValue ?? 0) >= 4, "\(row)")
        #expect(((row["servers"] as? NSNumber)?.intValue ?? 0) == 2, "\(row)")
        #expect(((row["events_per_second"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(row)")
        let table = try EndToEnd.run(["ps"])
        #expect(table.stdout.hasPrefix("PID"))
        #expect(table.stdout.contains("\(target.pid)") && table.stdout.contains("EmbeddedCounter"), "\(table.stdout)")
    }

    /// Whether `nobody` can run the debug binary (the path must be searchable by others).
    static let nobodyCanRunTheBinary: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), getuid() == 0 else { return false }
        let r = try? EndToEnd.Child(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", EndToEnd.binary, "--version"]
        ).finish(timeout: 30)
        return r?.status == 0
    }()

    @Test(
        .enabled(
            if: nobodyCanRunTheBinary,
            "needs root, setpriv and a .build/debug/umcgtop that uid 65534 can run"))
    func anotherUsersProcessIsRefusedWithTheReason() throws {
        let target = try AttachTargets.startEmbeddedCounter()
        defer { AttachTargets.stop(target) }
        let r = try EndToEnd.Child(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", EndToEnd.binary, "--attach", "\(target.pid)",
                "--headless", "--duration", "1",
            ]
        ).finish(timeout: 60)
        #expect(r.status == 77, "stderr: \(r.stderr)")
        #expect(
            r.stderr
                == "umcgtop: error: process \(target.pid) belongs to uid 0, not you (uid 65534); attaching needs the same user or CAP_SYS_PTRACE\n",
            "\(r.stderr)")
        // `ps` as nobody lists it with the reason instead of hiding it.
        let ps = try EndToEnd.Child(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", EndToEnd.binary, "ps", "--json"]
        ).finish(timeout: 60)
        #expect(ps.status == 0, "stderr: \(ps.stderr)")
        let list = (try? JSONSerialization.jsonObject(with: Data(ps.stdout.utf8))) as? [[String: Any]] ?? []
        let row = try #require(list.first { ($0["pid"] as? NSNumber)?.int32Value == target.pid }, "\(ps.stdout)")
        #expect(row["attachable"] as? Bool == false)
        #expect((row["problem"] as? String)?.contains("belongs to uid 0, not you (uid 65534)") == true, "\(row)")
        // Root may (CAP_SYS_PTRACE): the same attach as ourselves works.
        let ok = try EndToEnd.run(["--attach", "\(target.pid)", "--headless", "--json", "--duration", "1"])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
    }

    @Test(.enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"))
    func tmuxAttachThenKill9ShowsExitedAndKeepsTheRows() throws {
        let target = try AttachTargets.startEmbeddedCounter()
        defer { AttachTargets.stop(target) }
        let tmux = try TmuxSession()
        defer { tmux.kill() }
        try tmux.type("\(EndToEnd.binary) --attach \(target.pid) --refresh 250; echo EXITED $?")
        let shown = tmux.waitFor(timeout: 60) { s in
            s.contains("ATTACHED") && s.contains("pid \(target.pid)") && s.contains("EmbeddedCounter")
                && RunEndToEndTests.switching(RunEndToEndTests.switchRate(s, "words-0"))
        }
        #expect(shown, "not attached:\n\(tmux.screen())")
        target.send(SIGKILL)
        #expect(tmux.waitFor(timeout: 30) { $0.contains("exited") }, "no exited:\n\(tmux.screen())")
        let after = tmux.screen()
        for name in ["words-0", "words-1", "words-2", "spawner"] {
            #expect(after.contains(name), "\(name) gone after the exit:\n\(after)")
        }
        try tmux.keys("q")
        #expect(tmux.waitFor { $0.contains("EXITED 0") }, "no clean exit:\n\(tmux.screen())")
    }
}
