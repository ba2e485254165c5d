import Foundation
import Testing
import UMCGSystem
import UMCGTrace

/// The built binary when recording goes wrong: the disk fills (RLIMIT_FSIZE), SIGTERM mid-recording.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct FaultRecordTests {
    /// `umcgtop ARGS` under `ulimit -f 64` (32 or 64 KiB depending on the shell's block unit).
    private func runUnderFileLimit(_ args: [String]) throws -> EndToEnd.Result {
        try EndToEnd.Child("/bin/sh", ["-c", "ulimit -f 64; exec \"$0\" \"$@\"", EndToEnd.binary] + args)
            .finish(timeout: 60)
    }

    @Test func fullDiskStopsTheRecordingNotTheEngine() throws {
        let path = EndToEnd.scratch("full.umcgtrace")
        defer { unlink(path) }
        let r = try runUnderFileLimit(["--headless", "--record", path, "--duration", "3", "--json"])
        // The documented headless status: 0 at the end of the duration (128 + signal otherwise).
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(EndToEnd.jsonObject(r.stdout), "no summary: \(r.stdout) \(r.stderr)")
        // The engine ran to the end of the duration.
        #expect((json["duration_s"] as? Double ?? 0) >= 2.9)
        let engine = try #require(json["engine"] as? [String: Any])
        let switches = try #require(engine["switches"] as? Int)
        let recording = try #require(json["recording"] as? [String: Any])
        let error = try #require(recording["error"] as? String, "no recording error: \(recording)")
        #expect(error.contains("EFBIG"), "\(error)")
        #expect(!error.contains("\n"))
        // Scripts see it on stderr too, as exactly one line, even with --json.
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("recording stopped") }
        #expect(warnings.count == 1, "stderr: \(r.stderr)")
        #expect(warnings.first?.hasPrefix("umcgtop: warning: ") == true && warnings.first?.contains("EFBIG") == true)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size <= 64 << 10)
        // The file opens up to its last good chunk; `report` warns but succeeds.
        let report = try EndToEnd.run(["report", path, "--json"])
        #expect(report.status == 0, "report stderr: \(report.stderr)")
        let rj = try #require(EndToEnd.jsonObject(report.stdout), "report: \(report.stdout)")
        #expect(rj["events"] as? Int == recording["events"] as? Int)
        #expect(rj["lost_bytes"] as? Int == 0)
        #expect(rj["clean_end"] as? Bool == false)
        #expect(report.stderr.split(separator: "\n").count == 1, "\(report.stderr)")
        // The engine kept switching after the recording stopped.
        let recordedSwitches = try #require((rj["event_counts"] as? [String: Any])?["switch"] as? Int)
        #expect(switches > recordedSwitches)
    }

    @Test func fullDiskIsOneStatusLineInTextMode() throws {
        // A short path, so the 100-column status line has room for the cause.
        let path = "/tmp/fz\(getpid()).umcgtrace"
        defer { unlink(path) }
        let r = try runUnderFileLimit(["--headless", "--record", path, "--duration", "3", "--interval", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("recording stopped") }
        #expect(!lines.isEmpty, "\(r.stdout)")
        #expect(lines.allSatisfy { $0.contains("write failed: File too large (EFBIG)") }, "\(lines)")
    }

    @Test func sigtermKeepsEveryFlushedEvent() throws {
        let path = EndToEnd.scratch("term.umcgtrace")
        defer { unlink(path) }
        let child = try EndToEnd.Child(EndToEnd.binary, ["--headless", "--record", path, "--json"])
        // Wait until at least two chunks after the first keyframe are on disk, note what was flushed.
        var flushed: UInt64 = 0
        let recording = EndToEnd.wait(timeout: 30) {
            guard let reader = try? TraceReader.open(path: path) else { return false }
            flushed = reader.summary.events
            return reader.summary.keyframes >= 1 && reader.summary.chunks >= 2 && flushed > 0
        }
        #expect(recording)
        child.send(SIGTERM)
        let r = child.finish(timeout: 30)
        #expect(!r.timedOut)
        #expect(r.status == 143, "stderr: \(r.stderr)")
        let json = try #require(EndToEnd.jsonObject(r.stdout), "no summary: \(r.stdout)")
        let report = try EndToEnd.run(["report", path, "--json"])
        #expect(report.status == 0)
        #expect(report.stderr.isEmpty, "\(report.stderr)")
        let rj = try #require(EndToEnd.jsonObject(report.stdout), "report: \(report.stdout)")
        #expect(rj["truncated"] as? Bool == false)
        #expect(rj["clean_end"] as? Bool == true)
        // Every event flushed before the signal is still there, and the rest was flushed at close.
        let events = try #require(rj["events"] as? Int)
        #expect(UInt64(events) >= flushed)
        #expect(events == (json["recording"] as? [String: Any])?["events"] as? Int)
        if json["dropped"] as? Int == 0, rj["dropped"] as? Int == 0 {
            let engine = try #require(json["engine"] as? [String: Any])
            let counts = try #require(rj["event_counts"] as? [String: Any])
            for (kind, counter) in [("switch", "switches"), ("block", "blocks"), ("wake", "wakes"), ("wait", "waits")] {
                #expect(counts[kind] as? Int == engine[counter] as? Int, "\(kind) vs \(counter)")
            }
        }
    }
}
