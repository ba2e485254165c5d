import ArgumentParser
import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// An in-memory export input: a few servers and workers switching, with a keyframe and a gap.
struct FakeExportInput: ExportInput {
    var info: RunInfo
    var records: [ExportInputRecord]
    var eventCount: UInt64
    var truncationWarning: String?
    /// Reading stops with this warning after `stopAfter` records.
    var stopAfter: Int?
    var stopWarning = "stopped reading: crc mismatch at offset 999"

    init(switches: Int = 1000, claimedEvents: UInt64? = nil, truncationWarning: String? = nil) {
        info = RunInfo(
            backend: "emulated", backendReason: "test", kernel: "Linux", hostname: "h", cpus: 2, scenario: "fake",
            wallClockAnchorNs: 0, monotonicAnchorNs: 1_000,
            entities: [Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .server, id: 1, name: "srv1")]
                + (0..<4).map { Entity(kind: .worker, id: UInt32($0), name: "w\($0)", tid: Int32(100 + $0)) })
        var records: [ExportInputRecord] = []
        var t: UInt64 = 1_000
        for i in 0..<switches {
            let server = UInt16(i % 2)
            let worker = UInt32(i % 4)
            t += 10_000
            records.append(.event(TraceEvent(timestamp: t, kind: .switchTo, server: server, worker: worker)))
            records.append(.event(TraceEvent(timestamp: t + 5_000, kind: .wait, server: server, worker: worker)))
            if i == switches / 2 {
                records.append(.gap(timestamp: t + 6_000, count: 3))
                records.append(.snapshot(Snapshot(timestamp: t + 7_000, servers: [], workers: [])))
            }
        }
        self.records = records
        self.eventCount = claimedEvents ?? UInt64(switches * 2)
        self.truncationWarning = truncationWarning
    }

    func forEachRecord(_ body: (ExportInputRecord) throws(ExportFailure) -> Void) throws(ExportFailure) -> String? {
        for (index, record) in records.enumerated() {
            if let stopAfter, index == stopAfter { return stopWarning }
            try body(record)
        }
        return nil
    }
}

/// Collects what the command prints.
final class CapturedConsole: @unchecked Sendable {
    // SAFETY: used from one test thread only.
    var out: [String] = []
    var err: [String] = []
    var progress: [String] = []

    func console(tty: Bool = false) -> ExportConsole {
        ExportConsole(
            out: { self.out.append($0) }, err: { self.err.append($0) },
            progress: tty ? { self.progress.append($0) } : nil)
    }
}

@Suite struct ExportCommandTests {
    static func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("umcgtop-export-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test func parsesOneOutput() throws {
        let perfetto = try ExportCommand.parse(["t.umcgtrace", "--perfetto", "o.pftrace"])
        #expect(perfetto.target.format == .perfetto && perfetto.target.path == "o.pftrace")
        let chrome = try ExportCommand.parse(["t.umcgtrace", "--chrome-json", "o.json", "--force"])
        #expect(chrome.target.format == .chromeJSON && chrome.force)
        #expect(throws: (any Error).self) { try ExportCommand.parse(["t.umcgtrace"]) }
        #expect(throws: (any Error).self) {
            try ExportCommand.parse(["t.umcgtrace", "--perfetto", "a", "--chrome-json", "b"])
        }
    }

    @Test func writesAPerfettoFileAndRefusesToOverwriteIt() throws {
        let path = Self.temporaryPath("out.pftrace")
        let captured = CapturedConsole()
        let input = FakeExportInput()
        let stats = try ExportRunner.run(
            input: input, format: .perfetto, outputPath: path, force: false, console: captured.console())
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(UInt64(bytes.count) == stats.bytes)
        #expect(bytes.first == 0x0A)  // Trace.packet: field 1, length-delimited
        #expect(stats.switches == 2000 && stats.gaps == 1)
        #expect(captured.err.isEmpty)

        #expect(throws: ExportFailure.outputExists(path)) {
            try ExportRunner.run(
                input: input, format: .perfetto, outputPath: path, force: false, console: captured.console())
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == bytes.count, "untouched")
        let forced = try ExportRunner.run(
            input: FakeExportInput(switches: 10), format: .perfetto, outputPath: path, force: true,
            console: captured.console())
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == Int(forced.bytes))
    }

    @Test func chromeJSONHasASizeLimit() throws {
        let path = Self.temporaryPath("out.json")
        let captured = CapturedConsole()
        let huge = FakeExportInput(switches: 10, claimedEvents: 2_000_000)
        #expect(throws: ExportFailure.tooLarge(events: 2_000_000, limit: 1_000_000)) {
            try ExportRunner.run(
                input: huge, format: .chromeJSON, outputPath: path, force: false, console: captured.console())
        }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing written when refused")
        try ExportRunner.run(
            input: huge, format: .chromeJSON, outputPath: path, force: true, console: captured.console())
        #expect(captured.err.count == 1 && captured.err[0].hasPrefix("umcgtop: warning: 2000000 events"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect((json as? [String: Any])?["traceEvents"] is [Any])
        // Perfetto streams any size without a warning.
        #expect(try ExportSizePolicy().check(events: 50_000_000, format: .perfetto, force: false) == nil)
    }

    @Test func truncatedInputExportsWithAWarning() throws {
        let path = Self.temporaryPath("cut.pftrace")
        let captured = CapturedConsole()
        let input = FakeExportInput(switches: 100, truncationWarning: "file cut short: 123 bytes lost at offset 4567")
        let stats = try ExportRunner.run(
            input: input, format: .perfetto, outputPath: path, force: false, console: captured.console())
        #expect(stats.switches == 200)
        #expect(captured.err == ["umcgtop: warning: file cut short: 123 bytes lost at offset 4567"])

        var stopping = FakeExportInput(switches: 100)
        stopping.stopAfter = 11
        let late = CapturedConsole()
        let partial = try ExportRunner.run(
            input: stopping, format: .chromeJSON, outputPath: Self.temporaryPath("late.json"), force: false,
            console: late.console())
        #expect(partial.events == 11)
        #expect(late.err == ["umcgtop: warning: stopped reading: crc mismatch at offset 999"])
    }

    @Test func progressOnlyOnATerminal() throws {
        let captured = CapturedConsole()
        try ExportRunner.run(
            input: FakeExportInput(switches: 70_000), format: .perfetto, outputPath: Self.temporaryPath("p.pftrace"),
            force: false, console: captured.console(tty: true))
        #expect(captured.progress.count == 3)  // 140,001 records: two updates, then the clearing ""
        #expect(captured.progress.first?.hasPrefix("umcgtop: exporting 46%") == true)
        #expect(captured.progress.last == "")
        let quiet = CapturedConsole()
        try ExportRunner.run(
            input: FakeExportInput(switches: 70_000), format: .perfetto, outputPath: Self.temporaryPath("q.pftrace"),
            force: false, console: quiet.console(tty: false))
        #expect(quiet.progress.isEmpty && quiet.err.isEmpty)
    }

    @Test func outputErrorsAreOneLineFailures() throws {
        let captured = CapturedConsole()
        let missingDir = Self.temporaryPath("no/such/dir/out.pftrace")
        do {
            try ExportRunner.run(
                input: FakeExportInput(), format: .perfetto, outputPath: missingDir, force: false,
                console: captured.console())
            Issue.record("expected a failure")
        } catch {
            #expect(error == .cannotCreate(missingDir, "No such file or directory"))
            #expect(error.exitCode == 73)
        }
    }

    /// True when /dev/full is the character device that fails every write with ENOSPC.
    static var devFullIsACharacterDevice: Bool {
        (try? FileManager.default.attributesOfItem(atPath: "/dev/full")[.type] as? FileAttributeType)
            == .typeCharacterSpecial
    }

    /// /dev/full accepts open and fails every write with ENOSPC; it is never unlinked.
    @Test(.enabled(if: devFullIsACharacterDevice, "/dev/full is not a character device on this host"))
    func aFullDeviceIsAOneLineWriteFailure() throws {
        let captured = CapturedConsole()
        do {
            try ExportRunner.run(
                input: FakeExportInput(), format: .chromeJSON, outputPath: "/dev/full", force: true,
                console: captured.console())
            Issue.record("expected a failure")
        } catch {
            #expect(error == .write("/dev/full: No space left on device"))
            #expect(error.exitCode == 74)
            #expect(!"\(error)".contains("\n"))
        }
        let after = try? FileManager.default.attributesOfItem(atPath: "/dev/full")[.type] as? FileAttributeType
        #expect(after == .typeCharacterSpecial)
    }

    @Test func neverWritesOverTheInput() throws {
        let path = Self.temporaryPath("run.umcgtrace")
        try Data("recorded".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ExportFailure.cannotCreate(path, "it is the input file")) {
            try ExportCommand.export(
                file: path, format: .perfetto, output: path, force: true, console: CapturedConsole().console())
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("recorded".utf8))
    }
}
