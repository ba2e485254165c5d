import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Protobuf wire-format fields, decoded strictly (a compact copy of the UMCGTraceTests decoder).
private struct Wire {
    var number: UInt32, wireType: UInt8, scalar: UInt64, payload: [UInt8]

    static func decode(_ bytes: [UInt8]) throws -> [Wire] {
        struct Malformed: Error { var offset: Int }
        var fields: [Wire] = []
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw Malformed(offset: i) }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.count {
            let key = try varint()
            var field = Wire(number: UInt32(key >> 3), wireType: UInt8(key & 7), scalar: 0, payload: [])
            switch field.wireType {
            case 0: field.scalar = try varint()
            case 1:
                guard i + 8 <= bytes.count else { throw Malformed(offset: i) }
                for k in 0..<8 { field.scalar |= UInt64(bytes[i + k]) << UInt64(8 * k) }
                i += 8
            case 2:
                let n = try varint()
                guard n <= UInt64(bytes.count - i) else { throw Malformed(offset: i) }
                field.payload = Array(bytes[i..<i + Int(n)])
                i += Int(n)
            default: throw Malformed(offset: i)
            }
            guard field.number > 0 else { throw Malformed(offset: i) }
            fields.append(field)
        }
        return fields
    }

    func fields() throws -> [Wire] { try Wire.decode(payload) }
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// What the e2e tests read back from a .pftrace.
private struct PerfettoSummary {
    var switches = 0
    var wakings = 0
    var threadNames: [String] = []
    var instantNames: [String] = []
    var counterTracks: Set<UInt64> = []

    init(_ bytes: [UInt8]) throws {
        for packetField in try Wire.decode(bytes) {
            #expect(packetField.number == 1 && packetField.wireType == 2)
            for field in try packetField.fields() {
                switch field.number {
                case 1:  // ftrace_events
                    for event in try field.fields() where event.number == 2 {
                        let kinds = try event.fields().map(\.number)
                        if kinds.contains(4) { switches += 1 }
                        if kinds.contains(20) { wakings += 1 }
                    }
                case 2:  // process_tree
                    for thread in try field.fields() where thread.number == 2 {
                        threadNames += try thread.fields().filter { $0.number == 2 }.map(\.text)
                    }
                case 11:  // track_event
                    let event = try field.fields()
                    if event.first(where: { $0.number == 9 })?.scalar == 4 {
                        counterTracks.insert(event.first { $0.number == 11 }?.scalar ?? 0)
                    } else {
                        instantNames += event.filter { $0.number == 23 }.map(\.text)
                    }
                default: break
                }
            }
        }
    }
}

/// Collects what the command prints.
private final class Lines: @unchecked Sendable {
    // SAFETY: used from one test thread only.
    var out: [String] = []
    var err: [String] = []
    var console: ExportConsole {
        ExportConsole(out: { self.out.append($0) }, err: { self.err.append($0) }, progress: nil)
    }
}

@Suite struct ExportEndToEndTests {
    static let servers = 2
    static let workers = 4

    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "umcgtop-export-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes a trace with every event kind, a drop and keyframes; returns the lane switches it holds.
    static func writeTrace(to path: String, cycles: Int = 3000) throws -> Int {
        var entities: [Entity] = []
        for s in 0..<servers {
            entities.append(Entity(kind: .server, id: UInt32(s), name: "srv\(s)", tid: Int32(300 + s)))
        }
        for w in 0..<workers {
            entities.append(Entity(kind: .worker, id: UInt32(w), name: "pingpong-\(w)", tid: Int32(400 + w)))
        }
        let info = RunInfo(
            backend: "emulated", backendReason: "e2e", kernel: "Linux", hostname: "e2e", cpus: 2, scenario: "e2e",
            wallClockAnchorNs: 1_700_000_000_000_000_000, monotonicAnchorNs: 1_000_000, entities: entities)
        let writer = try TraceWriter(path: path, info: info)
        var t: UInt64 = 1_000_000
        var switches = 0
        var futexCycles: UInt64 = 0
        for i in 0..<cycles {
            let server = UInt16(i % servers)
            let worker = UInt32(i % workers)
            t += 20_000
            try writer.append(TraceEvent(timestamp: t, kind: .switchTo, server: server, worker: worker, cpu: server))
            let leave: TraceEventKind = [.wait, .block, .preempt, .wait][i % 4]
            try writer.append(TraceEvent(timestamp: t + 8_000, kind: leave, server: server, worker: worker, arg: 2))
            switches += 2
            if leave == .block {
                try writer.append(
                    TraceEvent(timestamp: t + 15_000, kind: i % 8 == 1 ? .timeout : .wake, worker: worker))
            }
            if i % 50 == 0 {
                futexCycles += 5_000
                try writer.append(TraceEvent(timestamp: t + 9_000, kind: .baselineSample, worker: 1, arg: 5_000))
            }
            if i == cycles / 2 {
                try writer.append(TraceEvent(timestamp: t + 10_000, kind: .dropped, arg: 7))
            }
            if i % 500 == 499 {
                try writer.appendKeyframe(
                    Snapshot(
                        timestamp: t + 10_000,
                        servers: (0..<servers).map { ServerCounters(id: UInt16($0), state: .idle) },
                        workers: (0..<workers).map { WorkerCounters(id: UInt32($0), state: .runnable) },
                        baselines: [
                            BaselineCounters(method: .futex, cycles: futexCycles, activeNanos: t, placement: "same-cpu")
                        ]))
            }
        }
        try writer.append(TraceEvent(timestamp: t + 30_000, kind: .exit, worker: 0))
        try writer.finish()
        return switches
    }

    @Test func aRecordedTraceExportsToPerfetto() throws {
        let dir = try Self.directory()
        let trace = dir.appendingPathComponent("run.umcgtrace").path
        let output = dir.appendingPathComponent("run.pftrace").path
        let switches = try Self.writeTrace(to: trace)
        let lines = Lines()
        let stats = try ExportCommand.export(
            file: trace, format: .perfetto, output: output, force: false, console: lines.console)
        let summary = try PerfettoSummary([UInt8](Data(contentsOf: URL(fileURLWithPath: output))))
        #expect(summary.switches == switches)
        #expect(stats.switches == UInt64(switches))
        #expect(summary.wakings == 3000 / 4)
        #expect(summary.threadNames == (0..<Self.workers).map { "pingpong-\($0)" })
        #expect(summary.instantNames.filter { $0.hasPrefix("dropped") } == ["dropped 7 events"])
        let instants = Dictionary(grouping: summary.instantNames, by: { $0 }).mapValues(\.count)
        #expect(instants["block (read)"] == 750 && instants["preempt"] == 750)
        #expect(instants["timeout"] == 375 && instants["exit"] == 1)
        #expect(summary.counterTracks.count == 2, "UMCG and futex")
        #expect(lines.err.isEmpty)
        #expect(lines.out.count == 1 && lines.out[0].contains("\(switches) switches"))
    }

    @Test func aRecordedTraceExportsToChromeJSON() throws {
        let dir = try Self.directory()
        let trace = dir.appendingPathComponent("run.umcgtrace").path
        let output = dir.appendingPathComponent("run.json").path
        let switches = try Self.writeTrace(to: trace)
        try ExportCommand.export(
            file: trace, format: .chromeJSON, output: output, force: false, console: Lines().console)
        let root =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any]
        let events = try #require(root?["traceEvents"] as? [[String: Any]])
        #expect(events.filter { $0["ph"] as? String == "X" }.count == switches / 2)
        #expect(events.contains { $0["name"] as? String == "dropped 7 events" })
    }

    @Test func aTruncatedTraceExportsWhatIsReadable() throws {
        let dir = try Self.directory()
        let trace = dir.appendingPathComponent("run.umcgtrace").path
        let cut = dir.appendingPathComponent("cut.umcgtrace").path
        let output = dir.appendingPathComponent("cut.pftrace").path
        let full = try Self.writeTrace(to: trace)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: trace))
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        let lines = Lines()
        let stats = try ExportCommand.export(
            file: cut, format: .perfetto, output: output, force: false, console: lines.console)
        #expect(stats.switches > 0 && stats.switches < UInt64(full))
        #expect(lines.err.count == 1 && lines.err[0].hasPrefix("umcgtop: warning: "))
        #expect(!lines.err[0].contains("\n"))
    }

    @Test func badInputsAreOneLineErrors() throws {
        let dir = try Self.directory()
        let garbage = dir.appendingPathComponent("garbage.umcgtrace").path
        try Data("this is not a trace file at all, not even close".utf8).write(to: URL(fileURLWithPath: garbage))
        let output = dir.appendingPathComponent("out.pftrace").path
        for (input, code) in [(dir.appendingPathComponent("missing.umcgtrace").path, Int32(66)), (garbage, 65)] {
            do {
                try ExportCommand.export(
                    file: input, format: .perfetto, output: output, force: false, console: Lines().console)
                Issue.record("expected \(input) to fail")
            } catch {
                #expect(error.exitCode == code)
                #expect("\(error)".contains(input) && !"\(error)".contains("\n"))
            }
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }

    /// The built binary, beside the test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("umcgtop")
    }

    static func runBinary(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outData, as: UTF8.self),
            String(decoding: errData, as: UTF8.self)
        )
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: Self.binary.path),
            "build the umcgtop product first (scripts/test does)"))
    func theBinaryExportsAndRefusesToOverwrite() throws {
        let dir = try Self.directory()
        let trace = dir.appendingPathComponent("run.umcgtrace").path
        let output = dir.appendingPathComponent("run.pftrace").path
        _ = try Self.writeTrace(to: trace, cycles: 200)
        let first = try Self.runBinary(["export", trace, "--perfetto", output])
        #expect(first.status == 0)
        #expect(first.out.hasPrefix("exported ") && first.err.isEmpty)
        let again = try Self.runBinary(["export", trace, "--perfetto", output])
        #expect(again.status == 73)
        #expect(again.err == "umcgtop: error: \(output) exists; pass --force to overwrite it\n")
        let forced = try Self.runBinary(["export", trace, "--perfetto", output, "--force"])
        #expect(forced.status == 0)
        let missing = try Self.runBinary([
            "export", dir.appendingPathComponent("nope").path, "--chrome-json", output + ".json",
        ])
        #expect(missing.status == 66)
        #expect(missing.err.hasPrefix("umcgtop: error: ") && missing.err.filter { $0 == "\n" }.count == 1)
    }
}
