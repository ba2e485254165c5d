import Foundation
import Testing
import UMCGSystem
import UMCGTrace

/// Issue #15 item 8 end to end: a real SIGINT or SIGTERM to a running `umcgtop export` (the built binary,
/// stderr on a pseudo-terminal so it draws its progress line) leaves no output under the final name, removes
/// the temporary file, exits 128 + the signal with one error line, and ends the progress line first.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct ExportSignalEndToEndTests {
    /// A trace of `events` events (big enough that an export is still running when its first progress
    /// line, after 65,536 records, appears).
    static func writeLargeTrace(events: Int) throws -> String {
        let path = EndToEnd.scratch("large.umcgtrace")
        let info = RunInfo(
            backend: "emulated", backendReason: "test", kernel: "k", hostname: "h", cpus: 2, scenario: "large",
            wallClockAnchorNs: 0, monotonicAnchorNs: 1_000_000_000,
            entities: [Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .server, id: 1, name: "srv1")]
                + (0..<16).map { Entity(kind: .worker, id: UInt32($0), name: "w\($0)") })
        let writer = try TraceWriter(path: path, info: info)
        var t: UInt64 = 1_000_000_000
        for i in 0..<events / 2 {
            let w = UInt32(i % 16)
            let s = UInt16(i % 2)
            try writer.append(TraceEvent(timestamp: t, kind: .switchTo, server: s, worker: w, cpu: s, arg: 500))
            t += 2_000
            try writer.append(TraceEvent(timestamp: t, kind: .wait, server: s, worker: w, cpu: s))
            t += 100
            if i % 100_000 == 0 { try writer.appendKeyframe(Snapshot(timestamp: t, servers: [], workers: [])) }
        }
        try writer.finish()
        return path
    }

    /// Starts `umcgtop export TRACE --perfetto OUTPUT` in tmux (stderr is the pane, so it draws its progress line)
    /// through `sh -c 'echo $$ > F; exec …'`, so the test knows its pid; `EXITED <status>` follows it.
    static func startExport(_ tmux: TmuxSession, trace: String, output: String, pidFile: String) throws -> pid_t {
        try tmux.type(
            "sh -c 'echo $$ > \(pidFile); exec \(EndToEnd.binary) export \(trace) --perfetto \(output)'; echo EXITED $?"
        )
        let pid = EndToEnd.wait(timeout: 30) { (try? String(contentsOfFile: pidFile, encoding: .utf8)) != nil }
        try #require(pid, "no pid file")
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Whether the shell printed the export's exit status: a row that is exactly "EXITED <number>". The
    /// typed command wraps, and with a long binary path its "EXITED $?" can start a row of its own.
    static func exited(_ screen: String) -> Bool {
        screen.split(separator: "\n").contains { row in
            row.hasPrefix("EXITED ") && Int(row.dropFirst(7).trimmingCharacters(in: .whitespaces)) != nil
        }
    }

    @Test(
        .enabled(if: TmuxSession.available, "tmux is not installed (scripts/setup-deps installs it)"),
        arguments: [SIGINT, SIGTERM])
    func aSignalMidExportLeavesNoPartialFile(signal: Int32) throws {
        let trace = try Self.writeLargeTrace(events: 4_000_000)
        let directory = EndToEnd.scratch("export-dir")
        let pidFile = EndToEnd.scratch("export.pid")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer {
            unlink(trace)
            unlink(pidFile)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let output = directory + "/out.pftrace"
        let tmux = try TmuxSession(width: 120, height: 20)
        defer { tmux.kill() }
        let pid = try Self.startExport(tmux, trace: trace, output: output, pidFile: pidFile)
        defer { if !Self.exited(tmux.screen()) { kill(pid, SIGKILL) } }
        // Started: its progress line is on screen (records are being written to the temporary file).
        #expect(
            tmux.waitFor(timeout: 120) { $0.contains("umcgtop: exporting") || Self.exited($0) },
            "no progress line:\n\(tmux.screen())")
        #expect(!Self.exited(tmux.screen()), "the export ended before the signal:\n\(tmux.screen())")
        let partials = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(
            partials.count == 1 && partials.first?.hasPrefix(".out.pftrace.umcgtop-partial-") == true, "\(partials)")
        if signal == SIGINT {
            try tmux.keys("C-c")  // the terminal's own SIGINT to the foreground process, as a user's Ctrl-C
        } else {
            kill(pid, signal)
        }
        #expect(
            tmux.waitFor(timeout: 60) { $0.split(separator: "\n").contains { $0.hasPrefix("EXITED \(128 + signal)") } },
            "status:\n\(tmux.screen())")
        #expect(!FileManager.default.fileExists(atPath: output), "a partial export under the final name")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "temporary file left")
        // The progress line was ended before the one error line: the error line starts its own row,
        // no progress text is left on screen, and the shell's next output starts on the row after it.
        let rows = tmux.screen().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let error = "umcgtop: error: interrupted by signal \(signal); the partial output was removed"
        let at = try #require(rows.firstIndex { $0.contains(error) }, "no error line:\n\(rows.joined(separator: "\n"))")
        #expect(
            rows[at].hasPrefix(error) || rows[at].hasPrefix("^C" + error), "error row: \(rows[at].debugDescription)")
        #expect(!rows.contains { $0.contains("exporting") }, "progress text left:\n\(rows.joined(separator: "\n"))")
        #expect(rows.indices.contains(at + 1) && rows[at + 1].hasPrefix("EXITED \(128 + signal)"))
        #expect(rows.filter { $0.contains("umcgtop: error:") }.count == 1)
    }
}
