import Foundation
import Testing
import UMCGSystem

@testable import UMCGTop
@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// #15: terminal injection through `report`, one policy for undecodable records, crafted entity counts,
/// saturating drop counts, and exports that never leave a partial file.
@Suite struct HostileReportTests {
    static let evil = "evil\u{1B}[2J\u{1B}]0;pwned\u{07}\nforged row\t\u{9B}31m\u{202E}"

    static func path(_ name: String) -> String { "/tmp/umcgtop-hostile-\(getpid())-\(name)" }

    static func writeTrace(_ path: String, info: RunInfo, events: [TraceEvent] = [], flushAfterEach: Bool = false)
        throws
    {
        let writer = try TraceWriter(path: path, info: info, force: true, chunkBytes: 1024)
        for e in events {
            try writer.append(e)
            if flushAfterEach { try writer.flush() }
        }
        try writer.finish()
    }

    static func info(workers: [Entity], hostname: String = "h") -> RunInfo {
        RunInfo(
            backend: "emulated", backendReason: evil, kernel: "Linux", hostname: hostname, cpus: 1, scenario: evil,
            wallClockAnchorNs: 0, monotonicAnchorNs: 0, entities: [Entity(kind: .server, id: 0, name: evil)] + workers)
    }

    static func switches(workers: Int) -> [TraceEvent] {
        var events: [TraceEvent] = []
        var t: UInt64 = 1_000
        for i in 0..<(workers * 4) {
            let w = UInt32(i % workers)
            events.append(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: w, cpu: 0, arg: 10))
            events.append(TraceEvent(timestamp: t + 500, kind: .wait, server: 0, worker: w, cpu: 0))
            t += 1_000
        }
        return events
    }

    @Test func reportTextNeverPrintsControlCharactersAndBoundsWidths() throws {
        let long = String(repeating: "W", count: 4096)
        let path = Self.path("evil.umcgtrace")
        defer { try? FilePath.remove(path) }
        let workers = [
            Entity(kind: .worker, id: 0, name: Self.evil), Entity(kind: .worker, id: 1, name: long),
            Entity(kind: .worker, id: 2, name: "名前\u{301}e\u{301}"),
        ]
        try Self.writeTrace(
            path, info: Self.info(workers: workers, hostname: Self.evil), events: Self.switches(workers: 3))
        let out = ReportCommand.execute(path: path, json: false)
        #expect(out.exitCode == 0)
        for scalar in out.stdout.unicodeScalars where scalar != "\n" {
            #expect(!DisplayText.isControl(scalar), "control U+\(String(scalar.value, radix: 16)) reached the terminal")
        }
        #expect(!out.stdout.contains("forged row\n"))
        let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        // Header lines, blank, table header + 3 workers, blank, server header + 1, blank, kinds.
        #expect(lines.filter { $0.hasPrefix("evil") }.count == 2)  // one worker row, one server row
        for line in lines { #expect(DisplayText.width(String(line)) <= 200, "line of \(line.count) cells") }
        #expect(out.stdout.contains("WWW…"))

        // JSON stays exact: every string round-trips, control characters escaped.
        let json = ReportCommand.execute(path: path, json: true)
        #expect(!json.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{9B}" || $0 == "\u{07}" })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["hostname"] as? String == Self.evil)
        let rows = try #require(object["per_worker"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == [Self.evil, long, "名前\u{301}e\u{301}"])
        #expect(rows.allSatisfy { $0["run_between_events_ns"] as? Int == 2_000 })
    }

    @Test func sanitiserReplacesControlsAndCutsByDisplayWidth() {
        #expect(DisplayText.sanitized("a\u{1B}[2Jb\nc\td\u{85}e") == "a?[2Jb?c?d?e")
        #expect(DisplayText.sanitized("abcdef", maxWidth: 4) == "abc…")
        #expect(DisplayText.sanitized("abcd", maxWidth: 4) == "abcd")
        #expect(DisplayText.sanitized("名前名前", maxWidth: 5) == "名前…")
        #expect(DisplayText.width("名前") == 4 && DisplayText.width("e\u{301}") == 1)
        #expect(DisplayText.sanitized("x", maxWidth: 0) == "")
    }

    /// A checksum-valid record whose payload does not decode: report and export both use the records before
    /// it, exit 0 and print one warning line naming the offset (report used to exit 65, export 0 with two lines).
    @Test func undecodableRecordIsOnePolicyInReportAndExport() throws {
        let path = Self.path("undecodable.umcgtrace")
        defer { try? FilePath.remove(path) }
        try Self.writeTrace(
            path, info: Self.info(workers: [Entity(kind: .worker, id: 0, name: "w")]),
            events: Self.switches(workers: 1), flushAfterEach: true)
        var bytes = try ReportCommandTests.bytes(of: path)
        // The third record (an event chunk): its first entry becomes an escape with an unknown kind.
        let headerEnd = 16 + Int(Self.u32(bytes, 12)) + 4
        var offset = headerEnd
        for _ in 0..<2 { offset += 56 + Int(Self.u32(bytes, offset + 4)) }
        #expect(bytes[offset] == 1)
        let payload = offset + 56
        bytes[payload] = 0
        bytes[payload + 1] = 0xEE
        let length = Int(Self.u32(bytes, offset + 4))
        var crc = bytes[offset..<(offset + 48)].withUnsafeBytes { CRC32C.update(0, $0) }
        crc = bytes[payload..<(payload + length)].withUnsafeBytes { CRC32C.update(crc, $0) }
        for i in 0..<4 { bytes[offset + 48 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let report = ReportCommand.execute(path: path, json: true)
        #expect(report.exitCode == 0)
        let reportLines = report.stderr.split(separator: "\n")
        #expect(reportLines.count == 1)
        #expect(report.stderr.contains("stopped at an undecodable record: unknown event kind 238 at offset"))
        #expect(report.stderr.contains("reported the records before it"))
        #expect(report.stdout.contains("\"switches\":1"))  // the chunk before it

        let output = Self.path("undecodable.pftrace")
        defer { try? FilePath.remove(output) }
        let console = CapturedConsole()
        let stats = try ExportCommand.export(
            file: path, format: .perfetto, output: output, force: true, console: console.console())
        #expect(stats.events == 2)  // the switch and the wait, one chunk each
        #expect(console.err.count == 1)
        #expect(
            console.err.first?.contains("stopped at an undecodable record: unknown event kind 238 at offset") == true)
        #expect(console.err.first?.contains("exported the records before it") == true)
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    /// 10,000 header workers and no events: 4,096 listed, the rest counted (a 2^20-entity header used to print
    /// every one: 261 MB of JSON, 1.4 GB RSS).
    @Test func headerEntitiesWithoutEventsAreCountedNotListed() throws {
        let path = Self.path("entities.umcgtrace")
        defer { try? FilePath.remove(path) }
        let workers = (0..<10_000).map { Entity(kind: .worker, id: UInt32($0), name: "w\($0)") }
        try Self.writeTrace(path, info: Self.info(workers: workers))
        let json = ReportCommand.execute(path: path, json: true)
        #expect(json.exitCode == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["per_worker"] as? [Any])?.count == 4_096)
        #expect(object["unlisted_workers"] as? Int == 5_904)
        #expect(object["workers"] as? Int == 10_000)
        let text = ReportCommand.execute(path: path, json: false)
        #expect(text.stdout.contains("(5904 more workers declared in the header without events, not listed)"))
    }

    /// Two gaps of 2^63 events (in one chunk and in two): `dropped` saturates at UInt64.max instead of wrapping.
    @Test func dropCountsSaturate() throws {
        for flush in [false, true] {
            let path = Self.path("drops-\(flush).umcgtrace")
            defer { try? FilePath.remove(path) }
            let gaps = [
                TraceEvent(timestamp: 10, kind: .dropped, server: 0, arg: 1 << 63),
                TraceEvent(timestamp: 20, kind: .dropped, server: 0, arg: 1 << 63),
            ]
            try Self.writeTrace(path, info: Self.info(workers: []), events: gaps, flushAfterEach: flush)
            let json = ReportCommand.execute(path: path, json: true)
            #expect(json.exitCode == 0, "\(json.stderr)")
            #expect(json.stdout.contains("\"dropped\":\(UInt64.max),"))
        }
    }

    /// An export goes to a temporary file renamed on success: interrupted, it leaves nothing (and an existing
    /// output untouched); done, it leaves only the output.
    @Test func interruptedExportLeavesNoPartialFile() throws {
        let directory = Self.path("export-dir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/out.pftrace"
        var console = CapturedConsole().console(tty: true)
        console.interruption = { SIGTERM }
        do {
            try ExportRunner.run(
                input: FakeExportInput(switches: 5_000), format: .perfetto, outputPath: output, force: false,
                console: console)
            Issue.record("expected an interruption")
        } catch {
            #expect(error == .interrupted(signal: SIGTERM))
            #expect(error.exitCode == 143)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)

        try Data("previous".utf8).write(to: URL(fileURLWithPath: output))
        #expect(throws: ExportFailure.interrupted(signal: SIGTERM)) {
            try ExportRunner.run(
                input: FakeExportInput(switches: 5_000), format: .perfetto, outputPath: output, force: true,
                console: console)
        }
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.pftrace"])

        let stats = try ExportRunner.run(
            input: FakeExportInput(switches: 5_000), format: .perfetto, outputPath: output, force: true,
            console: CapturedConsole().console())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.pftrace"])
        #expect(try FileManager.default.attributesOfItem(atPath: output)[.size] as? UInt64 == stats.bytes)
    }
}
