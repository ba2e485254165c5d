import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ReportCommandTests {
    static func info() -> RunInfo {
        RunInfo(
            backend: "emulated", backendReason: "test", kernel: "Linux 6.1", hostname: "h", cpus: 2,
            scenario: "test \"quoted\"",
            wallClockAnchorNs: 1, monotonicAnchorNs: 2,
            entities: [
                Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .worker, id: 0, name: "w-a"),
                Entity(kind: .worker, id: 1, name: "w-b"),
            ])
    }

    /// A trace with known counts: 1000 cycles of switch/wait or switch/block/wake on two workers, one gap.
    static func writeTrace(_ path: String, finish: Bool = true) throws -> [TraceEvent] {
        let writer = try TraceWriter(path: path, info: info(), force: true, chunkBytes: 1024)
        var events: [TraceEvent] = []
        var t: UInt64 = 1_000_000
        try writer.appendKeyframe(Snapshot(timestamp: t, servers: [], workers: []))
        for i in 0..<1000 {
            let w = UInt32(i % 2)
            events.append(
                TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: w, cpu: 0, arg: UInt64(1000 + i)))
            t += 5000
            if w == 0 {
                events.append(TraceEvent(timestamp: t, kind: .wait, server: 0, worker: w, cpu: 0, arg: 5000))
            } else {
                events.append(TraceEvent(timestamp: t, kind: .block, server: 0, worker: w, cpu: 0, arg: 1))
                events.append(TraceEvent(timestamp: t + 100, kind: .wake, server: 0, worker: w, cpu: 0, arg: 100))
            }
            t += 1000
            if i == 500 { events.append(TraceEvent(timestamp: t, kind: .dropped, server: 0, cpu: 0, arg: 7)) }
        }
        for e in events { try writer.append(e) }
        if finish { try writer.finish() } else { try writer.flush() }
        return events
    }

    static func tempPath(_ name: String) -> String { "/tmp/umcgtop-report-\(getpid())-\(name).umcgtrace" }

    /// The whole file; a file that cannot be opened fails the test instead of reading as empty.
    static func bytes(of path: String) throws -> [UInt8] {
        let f = try #require(fopen(path, "rb"), "cannot open \(path)")
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Replaces the file with `bytes`; a file that cannot be written fails the test instead of
    /// leaving the old contents in place.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let f = try #require(fopen(path, "wb"), "cannot open \(path) for writing")
        let written = fwrite(bytes, 1, bytes.count, f)
        let closed = fclose(f)
        #expect(written == bytes.count && closed == 0, "short write to \(path)")
    }

    @Test func jsonHasTheDocumentedKeysAndCounts() throws {
        let path = Self.tempPath("json")
        defer { unlink(path) }
        let events = try Self.writeTrace(path)
        let out = ReportCommand.execute(path: path, json: true)
        #expect(out.exitCode == 0 && out.stderr.isEmpty)
        for key in [
            "format_version", "events", "dropped", "chunks", "keyframes", "bytes", "duration_s", "servers", "workers",
            "truncated", "lost_bytes", "event_counts", "per_worker",
        ] {
            #expect(out.stdout.contains("\"\(key)\":"), "missing \(key)")
        }
        let switches = events.filter { $0.kind == .switchTo }.count
        #expect(out.stdout.contains("\"switch\":\(switches)"))
        #expect(out.stdout.contains("\"block\":500,\"wake\":500,\"wait\":500"))
        #expect(out.stdout.contains("\"events\":\(events.count - 1),\"dropped\":7,\"gaps\":1"))
        #expect(out.stdout.contains("\"truncated\":false"))
        #expect(out.stdout.contains("\"scenario\":\"test \\\"quoted\\\"\""))
        #expect(out.stdout.hasSuffix("}\n") && out.stdout.split(separator: "\n").count == 1)
    }

    @Test func textHasAWorkerTable() throws {
        let path = Self.tempPath("text")
        defer { unlink(path) }
        _ = try Self.writeTrace(path)
        let out = ReportCommand.execute(path: path, json: false)
        #expect(out.exitCode == 0)
        #expect(out.stdout.contains("wake→run avg"))
        let lines = out.stdout.split(separator: "\n")
        let a = try #require(lines.first { $0.hasPrefix("w-a ") })
        // w-a: 500 switches, 0 blocks, 0 wakes, 500 waits; run time 500 × 5 µs = 2.50 ms; wake→run max 1998 ns.
        #expect(a.split(separator: " ").prefix(5) == ["w-a", "500", "0", "0", "500"])
        #expect(a.contains("2.50ms") && a.contains("2.0µs"))
    }

    @Test func truncatedFileWarnsAndSucceeds() throws {
        let path = Self.tempPath("cut")
        defer { unlink(path) }
        _ = try Self.writeTrace(path)
        let full = try Self.bytes(of: path)
        try Self.write(Array(full.prefix(full.count - 100)), to: path)
        let out = ReportCommand.execute(path: path, json: true)
        #expect(out.exitCode == 0)
        #expect(out.stderr.hasPrefix("umcgtop: warning: \(path): "))
        #expect(out.stderr.contains("bytes lost"))
        #expect(out.stderr.split(separator: "\n").count == 1)
        #expect(out.stdout.contains("\"truncated\":true"))
    }

    @Test func badFilesAreOneLineErrorsWithExitCodes() throws {
        let path = Self.tempPath("bad")
        defer { unlink(path) }
        _ = try Self.writeTrace(path)
        var bytes = try Self.bytes(of: path)
        bytes[0] = UInt8(ascii: "X")
        try Self.write(bytes, to: path)
        var out = ReportCommand.execute(path: path, json: false)
        #expect(out.exitCode == 65)
        #expect(out.stderr == "umcgtop: error: \(path): not a umcgtrace file (bad magic) at offset 0\n")
        #expect(out.stdout.isEmpty)

        bytes[0] = UInt8(ascii: "U")
        bytes[8] = 9  // version 9
        try Self.write(bytes, to: path)
        out = ReportCommand.execute(path: path, json: false)
        #expect(out.exitCode == 65)
        #expect(out.stderr.contains("unsupported format version 9") && out.stderr.contains("at offset 8"))

        try Self.write([], to: path)
        out = ReportCommand.execute(path: path, json: false)
        #expect(out.exitCode == 65)

        out = ReportCommand.execute(path: path + ".missing", json: true)
        #expect(out.exitCode == 66)
        #expect(out.stderr.contains("open failed") && out.stderr.contains("ENOENT"))
    }
}
