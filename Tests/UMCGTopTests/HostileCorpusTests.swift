import Foundation
import Testing
import UMCGSystem

@testable import UMCGTop
@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// #15 corpus: thousands of damaged and crafted trace files made here from synthetic recordings (truncations,
/// bit flips with recomputed checksums, huge lengths and counts, hostile names), each run through `report`,
/// `report --json` and `export` in-process: no crash, and every outcome one documented status with at most one
/// line on stderr.
///
/// `UMCGTOP_CORPUS_FILES=N` sets the number of mutated files (default 1,500); `UMCGTOP_CORPUS_OUT=DIR` also
/// writes every file there (scripts/fuzz-corpus runs the built binary over them).
@Suite struct HostileCorpusTests {
    static let environment = ProcessInfo.processInfo.environment
    static let count = Int(environment["UMCGTOP_CORPUS_FILES"] ?? "") ?? 1_500
    static let seed = UInt64(environment["UMCGTOP_CORPUS_SEED"] ?? "") ?? 15

    /// A synthetic recording with hostile names: escapes, wide and combining characters, a 4 KiB name, in
    /// the header and in an entity record mid-file.
    static func base(names: [String]) throws -> [UInt8] {
        let path = "/tmp/umcgtop-corpus-base-\(getpid())-\(names.count).umcgtrace"
        defer { try? FilePath.remove(path) }
        let entities =
            [Entity(kind: .server, id: 0, name: names[0]), Entity(kind: .server, id: 1, name: "srv1")]
            + names.enumerated().map { Entity(kind: .worker, id: UInt32($0.offset), name: $0.element) }
        let info = RunInfo(
            backend: "emulated", backendReason: names[0], kernel: "Linux \u{1B}[31m", hostname: names.last ?? "",
            cpus: 2, scenario: "corpus", wallClockAnchorNs: 1, monotonicAnchorNs: 2, entities: entities)
        let writer = try TraceWriter(path: path, info: info, force: true, chunkBytes: 512)
        var t: UInt64 = 1_000_000
        try writer.appendKeyframe(Snapshot(timestamp: t, servers: [], workers: []))
        for i in 0..<600 {
            let w = UInt32(i % names.count)
            let s = UInt16(i % 2)
            try writer.append(TraceEvent(timestamp: t, kind: .switchTo, server: s, worker: w, cpu: s, arg: 100))
            t += 3_000
            let end: TraceEventKind = i % 3 == 0 ? .block : i % 3 == 1 ? .wait : .preempt
            try writer.append(TraceEvent(timestamp: t, kind: end, server: s, worker: w, cpu: s, arg: 1))
            if i % 97 == 0 { try writer.append(TraceEvent(timestamp: t, kind: .dropped, server: s, arg: 1 << 62)) }
            if i % 40 == 0 {
                try writer.append(
                    TraceEvent(timestamp: t, kind: .baselineSample, worker: UInt32(i / 40 % 2), arg: 1_000))
            }
            if i % 200 == 199 { try writer.appendKeyframe(Snapshot(timestamp: t, servers: [], workers: [])) }
            if i == 300 {
                // An entity record (format 2): late workers with the same hostile names, one at a huge id.
                try writer.appendEntities(
                    names.enumerated().map { Entity(kind: .worker, id: UInt32(100 + $0.offset), name: $0.element) }
                        + [Entity(kind: .worker, id: 99_999, name: names[0])], at: t)
            }
            t += 500
        }
        try writer.finish()
        return try ReportCommandTests.bytes(of: path)
    }

    static let hostileNames = [
        "evil\u{1B}[2J\u{1B}]0;pwned\u{07}", "line\nforged\trow", "名前ワーカー", "e\u{301}\u{302}\u{303}combining",
        String(repeating: "A", count: 4096), "\u{9B}31m\u{202E}rtl", "plain",
    ]

    /// Record boundaries of a well-formed file: (header end, every record's start).
    static func records(_ b: [UInt8]) -> (headerEnd: Int, starts: [Int]) {
        let headerEnd = 16 + Int(HostileReportTests.u32(b, 12)) + 4
        var starts: [Int] = []
        var offset = headerEnd
        while offset + 56 <= b.count {
            starts.append(offset)
            offset += 56 + Int(HostileReportTests.u32(b, offset + 4))
        }
        return (headerEnd, starts)
    }

    /// Recomputes the checksum of the record at `offset` (or of the file header when nil).
    static func fixCRC(_ b: inout [UInt8], record offset: Int?) {
        if let offset {
            let length = Int(HostileReportTests.u32(b, offset + 4))
            guard offset + 56 + length <= b.count else { return }
            var crc = b[offset..<(offset + 48)].withUnsafeBytes { CRC32C.update(0, $0) }
            crc = b[(offset + 56)..<(offset + 56 + length)].withUnsafeBytes { CRC32C.update(crc, $0) }
            for i in 0..<4 { b[offset + 48 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        } else {
            let length = Int(HostileReportTests.u32(b, 12))
            guard 16 + length + 4 <= b.count else { return }
            let crc = b[0..<(16 + length)].withUnsafeBytes { CRC32C.update(0, $0) }
            for i in 0..<4 { b[16 + length + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        }
    }

    /// The corpus: the bases, then mutations of them.
    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        let bases = [try base(names: hostileNames), try base(names: ["a", "b"])]
        var files: [(String, [UInt8])] = bases.enumerated().map { ("base-\($0.offset)", $0.element) }
        var rng = SplitMix64(seed: seed)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(max(1, n))) }
        for i in 0..<count {
            var b = bases[i % bases.count]
            let (headerEnd, starts) = records(b)
            let kind = i % 6
            switch kind {
            case 0:  // truncation
                b.removeLast(pick(b.count))
            case 1:  // bit flips, checksums left wrong
                for _ in 0...pick(4) { b[pick(b.count)] ^= UInt8(1 << pick(8)) }
            case 2:  // bit flips inside one record, checksum recomputed (the decoders see the damage)
                let r = starts[pick(starts.count)]
                let length = Int(HostileReportTests.u32(b, r + 4))
                for _ in 0...pick(3) { b[r + 56 + pick(length)] ^= UInt8(1 << pick(8)) }
                fixCRC(&b, record: r)
            case 3:  // huge lengths and counts in a record header, checksum recomputed
                let r = starts[pick(starts.count)]
                let field = [4, 32, 36, 40][pick(4)]
                for k in 0..<4 { b[r + field + k] = UInt8(truncatingIfNeeded: rng.next()) }
                if pick(2) == 0 { for k in 0..<4 { b[r + field + k] = 0xFF } }
                fixCRC(&b, record: r)
            case 4:  // header damage with a recomputed header checksum (lengths, counts, strings)
                b[16 + pick(headerEnd - 20)] ^= UInt8(1 << pick(8))
                fixCRC(&b, record: nil)
            default:  // a huge varint count or length spliced into a record payload, checksum recomputed
                let r = starts[pick(starts.count)]
                let length = Int(HostileReportTests.u32(b, r + 4))
                let at = r + 56 + pick(max(1, length - 10))
                for k in 0..<min(9, b.count - at) { b[at + k] = 0xFF }
                fixCRC(&b, record: r)
            }
            files.append(("mutant-\(i)-kind\(kind)", b))
        }
        return files
    }

    /// A crafted file: `entities` header workers, no events (2^20 cost 12 s and 1.4 GB before #15).
    static func manyEntities(_ n: Int) -> [UInt8] {
        var p = ByteWriter(capacity: n * 8 + 64)
        p.u32(TraceFormat.clockMonotonic)
        p.u64(0)
        p.u64(0)
        p.u32(1)
        for s in ["emulated", "crafted", "k", "h", "s"] { p.string(s, maxLength: TraceFormat.maxString) }
        p.varint(UInt64(n))
        for i in 0..<n {
            p.u8(EntityKind.worker.rawValue)
            p.varint(UInt64(i))
            p.u32(0)
            p.string("", maxLength: 1)
        }
        var w = ByteWriter(capacity: p.bytes.count + 20)
        w.bytes.append(contentsOf: TraceFormat.magic)
        w.u16(TraceFormat.version)
        w.u16(0)
        w.u32(UInt32(p.bytes.count))
        w.bytes.append(contentsOf: p.bytes)
        w.u32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    @Test func everyFileEndsWithADocumentedStatusAndOneLine() throws {
        var files = try Self.corpus()
        files.append(("entities-65536", Self.manyEntities(1 << 16)))
        let directory = Self.environment["UMCGTOP_CORPUS_OUT"] ?? "/tmp/umcgtop-corpus-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer {
            if Self.environment["UMCGTOP_CORPUS_OUT"] == nil { try? FileManager.default.removeItem(atPath: directory) }
        }
        var statuses: [Int32: Int] = [:]
        for (name, bytes) in files {
            let path = "\(directory)/\(name).umcgtrace"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for json in [false, true] {
                let out = ReportCommand.execute(path: path, json: json)
                statuses[out.exitCode, default: 0] += 1
                #expect([0, 65].contains(out.exitCode), "\(name): report exit \(out.exitCode)")
                #expect(out.stderr.split(separator: "\n").count <= 1, "\(name): \(out.stderr)")
                #expect(out.stderr.isEmpty || out.stderr.hasPrefix("umcgtop: "), "\(name)")
                if !json {
                    #expect(!out.stdout.unicodeScalars.contains { $0 != "\n" && DisplayText.isControl($0) }, "\(name)")
                }
                if out.exitCode == 0 { #expect(!out.stdout.isEmpty) }
            }
            let output = "\(directory)/\(name).pftrace"
            let console = CapturedConsole()
            do {
                try ExportCommand.export(
                    file: path, format: .perfetto, output: output, force: true, console: console.console())
                #expect(console.err.count <= 1, "\(name): \(console.err)")
            } catch {
                #expect(error.exitCode == 65, "\(name): export \(error)")
                #expect(!"\(error)".contains("\n"))
                #expect(!FileManager.default.fileExists(atPath: output), "\(name): a failed export left its output")
            }
            if Self.environment["UMCGTOP_CORPUS_OUT"] == nil {
                try? FilePath.remove(path)
                try? FilePath.remove(output)
            } else {
                try? FilePath.remove(output)
            }
        }
        #expect(files.count >= 1_000 || Self.count < 1_000)
        if Self.count >= 500 { #expect((statuses[0] ?? 0) > 0 && (statuses[65] ?? 0) > 0, "\(statuses)") }
    }
}
