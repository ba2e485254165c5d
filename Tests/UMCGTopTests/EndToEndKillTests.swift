import Foundation
import Testing
import UMCGSystem
import UMCGTrace

/// `kill -9` of a recording process: nothing gets to close the file, yet it must open and hold the
/// events up to about one flush interval (250 ms) before the kill.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct EndToEndKillTests {
    private static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    @Test func sigkillMidRecordingLeavesAReadableFileUpToTheLastFlush() throws {
        let path = EndToEnd.scratch("kill9.umcgtrace")
        defer { unlink(path) }
        let child = try EndToEnd.Child(EndToEnd.binary, ["--headless", "--record", path, "--json", "--no-baselines"])
        // Wait (polling, with a deadline) until at least two keyframes — over a second of recording — are on disk.
        let recording = EndToEnd.wait(timeout: 60) {
            guard let reader = try? TraceReader.open(path: path) else { return false }
            return reader.summary.keyframes >= 2 && reader.summary.events > 0
        }
        #expect(recording)
        let killedAt = Self.monotonicNanos()
        child.send(SIGKILL)
        let r = child.finish(timeout: 30)
        #expect(r.status == 128 + SIGKILL)

        let reader = try TraceReader.open(path: path)
        let summary = reader.summary
        #expect(!summary.cleanEnd, "a killed recorder cannot have written the end record")
        #expect(summary.events > 0)
        let last = try #require(summary.lastTimestamp)
        // Trace timestamps are CLOCK_MONOTONIC, the same clock as `killedAt`.
        let lagNanos = killedAt > last ? killedAt - last : 0
        print(
            "kill -9: last recorded event \(lagNanos / 1_000_000) ms before the kill; \(summary.events) events, \(summary.lostBytes) bytes lost"
        )
        // The pump flushes at least every 250 ms; allow scheduling slack on a loaded 2-vCPU CI machine.
        #expect(lagNanos < 1_000_000_000, "last event \(lagNanos / 1_000_000) ms before the kill")

        // `umcgtop report` opens it, exits 0, and warns on stderr only if bytes were cut.
        let report = try EndToEnd.run(["report", path, "--json"])
        #expect(report.status == 0, "report stderr: \(report.stderr)")
        let json = try #require(EndToEnd.jsonObject(report.stdout), "report: \(report.stdout)")
        #expect(json["events"] as? Int == Int(summary.events))
        #expect(json["truncated"] as? Bool == summary.truncated)
    }
}
