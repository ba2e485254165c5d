import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct EndToEndRecordTests {
    /// Counts the events of each kind in a recording.
    private func kindCounts(_ reader: TraceReader) throws -> [TraceEventKind: UInt64] {
        var counts: [TraceEventKind: UInt64] = [:]
        try reader.forEachRecord { record in
            if case .event(let e) = record { counts[e.kind, default: 0] += 1 }
        }
        return counts
    }

    @Test func headlessRecordingMatchesTheEngineCounters() throws {
        let path = EndToEnd.scratch("rec.umcgtrace")
        defer { unlink(path) }
        let r = try EndToEnd.run(["--headless", "--record", path, "--duration", "2", "--json", "--no-baselines"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(EndToEnd.jsonObject(r.stdout), "no summary: \(r.stdout)")
        let engine = try #require(json["engine"] as? [String: Any])
        let recording = try #require(json["recording"] as? [String: Any])
        #expect(recording["error"] is NSNull)
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.cleanEnd)
        #expect(!reader.summary.truncated)
        #expect(reader.summary.keyframes >= 2)
        #expect(reader.summary.events == UInt64(recording["events"] as? Int ?? -1))
        #expect(reader.info.entities.filter { $0.kind == .worker }.count == 8)
        let counts = try kindCounts(reader)
        let switches = try #require(engine["switches"] as? Int)
        #expect(switches > 0)
        if (json["dropped"] as? Int) == 0 {
            // Lossless counters and the recorded events agree when nothing was dropped.
            #expect(counts[.switchTo] == UInt64(switches))
        }
        // `umcgtop report` recounts the file: per kind, the same totals as the lossless counters.
        let report = try EndToEnd.run(["report", path, "--json"])
        #expect(report.status == 0, "report stderr: \(report.stderr)")
        let reportJSON = try #require(EndToEnd.jsonObject(report.stdout), "report: \(report.stdout)")
        let eventCounts = try #require(reportJSON["event_counts"] as? [String: Any])
        #expect(reportJSON["events"] as? Int == Int(reader.summary.events))
        if (json["dropped"] as? Int) == 0 {
            let pairs = [
                ("switch", "switches"), ("block", "blocks"), ("wake", "wakes"), ("wait", "waits"),
                ("timeout", "timeouts"), ("preempt", "preemptions"),
            ]
            for (kind, counter) in pairs {
                #expect(eventCounts[kind] as? Int == engine[counter] as? Int, "\(kind) vs \(counter)")
            }
        }
        // Run time: the report's `run_ns` is the engine's (the final keyframe's counters), so it equals the
        // headless JSON's worker by worker (`run_between_events_ns` is the events' own measure, #15 item 14).
        let headlessWorkers = try #require(json["workers"] as? [[String: Any]])
        let reportWorkers = try #require(reportJSON["per_worker"] as? [[String: Any]])
        #expect(headlessWorkers.count == 8)
        for w in headlessWorkers {
            let id = try #require(w["id"] as? Int)
            let row = try #require(reportWorkers.first { $0["id"] as? Int == id }, "worker \(id) not in the report")
            #expect(row["run_ns"] as? Int == w["run_ns"] as? Int, "worker \(id) run_ns")
            #expect((w["run_ns"] as? Int ?? 0) > 0)
        }
        // The UI saw every event the file holds (the same pump tees both).
        #expect(UInt64(json["events_seen"] as? Int ?? -1) == reader.summary.events)
    }

    @Test func sigtermMidRecordingLeavesACleanFile() throws {
        let path = EndToEnd.scratch("sigterm.umcgtrace")
        defer { unlink(path) }
        let child = try EndToEnd.Child(EndToEnd.binary, ["--headless", "--record", path, "--json"])
        // Wait until the file holds a flushed chunk after its first keyframe, then terminate.
        let recording = EndToEnd.wait(timeout: 30) {
            guard let reader = try? TraceReader.open(path: path) else { return false }
            return reader.summary.keyframes >= 1 && reader.summary.events > 0
        }
        #expect(recording)
        child.send(SIGTERM)
        let r = child.finish(timeout: 30)
        #expect(!r.timedOut)
        #expect(r.status == 143, "stderr: \(r.stderr)")
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.cleanEnd, "\(reader.summary)")
        #expect(!reader.summary.truncated)
        #expect(reader.summary.warning == nil)
        let json = try #require(EndToEnd.jsonObject(r.stdout), "no summary: \(r.stdout)")
        #expect(json["exit_status"] as? Int == 143)
    }

    @Test func existingRecordingIsRefusedWithoutForce() throws {
        let path = EndToEnd.scratch("exists.umcgtrace")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        defer { unlink(path) }
        let r = try EndToEnd.run(["--headless", "--record", path, "--duration", "1"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("already exists"))
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "keep")
    }

    @Test func headlessReplayRunsToTheEndOfARecording() throws {
        let path = EndToEnd.scratch("replay.umcgtrace")
        defer { unlink(path) }
        let rec = try EndToEnd.run(["--headless", "--record", path, "--duration", "1", "--no-baselines", "--json"])
        #expect(rec.status == 0, "stderr: \(rec.stderr)")
        let r = try EndToEnd.run(["--headless", "--replay", path, "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(EndToEnd.jsonObject(r.stdout), "no summary: \(r.stdout)")
        let reader = try TraceReader.open(path: path)
        #expect(json["mode"] as? String == "replay")
        #expect(UInt64(json["events_seen"] as? Int ?? -1) >= reader.summary.events)
        // The final keyframe's counters: the same engine totals the recording run reported.
        let recorded = try #require(EndToEnd.jsonObject(rec.stdout)?["engine"] as? [String: Any])
        let replayed = try #require(json["engine"] as? [String: Any])
        #expect(replayed["switches"] as? Int == recorded["switches"] as? Int)
        #expect((replayed["switches"] as? Int ?? 0) > 0)
    }

    @Test func damagedReplayFileIsAOneLineError() throws {
        let path = EndToEnd.scratch("bad.umcgtrace")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 200)))
        defer { unlink(path) }
        let r = try EndToEnd.run(["--headless", "--replay", path])
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("umcgtop: error: \(path): "))
        #expect(r.stderr.filter { $0 == "\n" }.count == 1)
        let missing = try EndToEnd.run(["--headless", "--replay", path + ".missing"])
        #expect(missing.status == 66)
        #expect(missing.stderr.hasPrefix("umcgtop: error: \(path).missing: open failed"), "\(missing.stderr)")
    }

    @Test func closedPipeStillClosesTheRecording() throws {
        let path = EndToEnd.scratch("pipe.umcgtrace")
        defer { unlink(path) }
        let script =
            "'\(EndToEnd.binary)' --headless --interval 0.2 --no-baselines --record '\(path)' | head -c 10 >/dev/null;"
            + " echo \"status ${PIPESTATUS[0]}\""
        let r = try EndToEnd.Child("bash", ["-c", script]).finish(timeout: 60)
        #expect(!r.timedOut)
        #expect(r.stdout.contains("status 141"), "\(r.stdout) \(r.stderr)")
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.cleanEnd)
    }
}
