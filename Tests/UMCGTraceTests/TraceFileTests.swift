import Testing
import UMCGSystem

@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TraceFileTests {
    @Test func roundTripsEveryRecord() throws {
        let events = Fixture.events(count: 20_000, seed: 7)
        let (bytes, written) = try Fixture.trace(events: events, keyframeEvery: 5_000_000)
        let reader = try TraceReader(bytes: bytes)
        #expect(reader.info == Fixture.info())
        let read = try Fixture.records(reader)
        #expect(read.count == written.count)
        #expect(read == written)
        let s = reader.summary
        #expect(s.cleanEnd && !s.truncated && s.lostBytes == 0 && s.warning == nil)
        let gaps = events.filter { $0.kind == .dropped }
        #expect(s.events == UInt64(events.count - gaps.count))
        #expect(s.gaps == UInt64(gaps.count))
        #expect(s.dropped == gaps.reduce(0) { $0 + $1.arg })
        #expect(s.keyframes == written.filter { if case .keyframe = $0 { true } else { false } }.count)
        #expect(s.firstTimestamp == events.first?.timestamp)
        #expect(s.lastTimestamp == events.last?.timestamp)
        #expect(s.bytes == UInt64(bytes.count))
    }

    @Test func unusualFieldsRoundTrip() throws {
        let events = [
            TraceEvent(
                timestamp: .max, kind: .keyframe, server: 0xFFFE, worker: 0xFFFF_FFFE, cpu: 0xFFFE, arg: .max, flags: 3),
            TraceEvent(timestamp: 0, kind: .wake),
            TraceEvent(timestamp: 1 << 62, kind: .register, server: 0, worker: 0, cpu: 0, arg: 0, flags: 255),
            TraceEvent(timestamp: 5, kind: .dropped, arg: 1 << 40),
        ]
        let (bytes, written) = try Fixture.trace(events: events, keyframeEvery: .max)
        let reader = try TraceReader(bytes: bytes)
        #expect(try Fixture.records(reader) == written)
        #expect(reader.summary.dropped == 1 << 40)
    }

    @Test func withoutVerificationDamageIsFoundWhileReading() throws {
        let events = Fixture.events(count: 3000, seed: 8)
        var (bytes, written) = try Fixture.trace(events: events, keyframeEvery: .max, chunkBytes: 1024)
        let clean = try TraceReader(bytes: bytes, verifyChecksums: false)
        #expect(clean.summary == (try TraceReader(bytes: bytes)).summary)
        #expect(try Fixture.records(clean) == written)
        bytes[bytes.count / 2] ^= 0x40
        let lazy = try TraceReader(bytes: bytes, verifyChecksums: false)
        #expect(!lazy.summary.truncated && lazy.summary.cleanEnd)
        var read: [TraceRecord] = []
        #expect(throws: TraceFileError.self) { try lazy.forEachRecord { read.append($0) } }
        #expect(read.count < written.count && read == Array(written.prefix(read.count)))
        let strict = try TraceReader(bytes: bytes)
        #expect(strict.summary.truncated && strict.summary.corruptOffset != nil)
    }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func varintsAndZigzagRoundTrip() throws {
        var w = ByteWriter()
        let values: [UInt64] = [0, 1, 127, 128, 300, 1 << 35, .max]
        for v in values { w.varint(v) }
        var r = ByteReader(w.bytes, base: 0)
        for v in values { #expect(try r.varint() == v) }
        for v: Int64 in [0, -1, 1, .min, .max, -123_456] { #expect(unzigzag(zigzag(v)) == v) }
        var overflow = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], base: 100)
        #expect(throws: TraceFileError.invalid(offset: 100, reason: "varint overflows 64 bits")) {
            try overflow.varint()
        }
    }

    @Test func bytesPerEventOfAMixedStream() throws {
        // 300 k events ≈ 0.9 s of a mixed workload at ~330 k events/s, default 64 KiB chunks, keyframes every second.
        let events = Fixture.events(count: 300_000, seed: 11)
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info())
        var nextKeyframe: UInt64 = 0
        for (i, e) in events.enumerated() {
            // An entity record half-way (format 2): the fuzz seed (scripts/fuzz-trace) holds one.
            if i == events.count / 2 { try writer.appendEntities(Fixture.lateWorkers, at: e.timestamp) }
            if e.timestamp >= nextKeyframe {
                try writer.appendKeyframe(Fixture.snapshot(at: e.timestamp))
                nextKeyframe = e.timestamp + 1_000_000_000
            }
            try writer.append(e)
        }
        try writer.finish()
        let perEvent = Double(sink.bytes.count) / Double(events.count)
        print(
            "trace bytes/event (mixed synthetic stream, \(events.count) events, \(sink.bytes.count) bytes): \(perEvent)"
        )
        #expect(perEvent <= 8)
    }

    @Test func seekFindsTheNearestKeyframeAndTheEventsAfterIt() throws {
        let events = Fixture.events(count: 10_000, seed: 3)
        let (bytes, written) = try Fixture.trace(events: events, keyframeEvery: 1_000_000)
        let reader = try TraceReader(bytes: bytes)
        let keyframes = reader.keyframeTimestamps
        #expect(keyframes.count > 5)
        let target = keyframes[3] + 500
        let (snap, position) = try reader.seek(to: target)
        #expect(snap == Fixture.snapshot(at: keyframes[3]))
        // The records after the seek position are those written after that keyframe.
        let after = try Fixture.records(reader, from: position)
        let index = try #require(
            written.firstIndex(of: .keyframe(Fixture.snapshot(at: keyframes[3]))), "keyframe not written")
        #expect(after == Array(written[(index + 1)...]))
        let (none, start) = try reader.seek(to: 0)
        #expect(none == nil && start == reader.start)
        let (last, _) = try reader.seek(to: .max)
        #expect(last?.timestamp == keyframes.last)
    }

    @Test func writerRefusesToOverwriteWithoutForce() throws {
        let path = "/tmp/umcgtrace-test-\(getpid())-overwrite.umcgtrace"
        defer { unlink(path) }
        let first = try TraceWriter(path: path, info: Fixture.info())
        try first.append(TraceEvent(timestamp: 5, kind: .wake, worker: 1))
        try first.finish()
        #expect(throws: TraceFileError.self) { try TraceWriter(path: path, info: Fixture.info()) }
        do {
            _ = try TraceWriter(path: path, info: Fixture.info())
        } catch {
            #expect(error.isFileExists)
            #expect(error.description.contains("File exists (EEXIST)"))
        }
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.events == 1 && reader.summary.cleanEnd)
        let second = try TraceWriter(path: path, info: Fixture.info(), force: true)
        try second.finish()
        #expect(try TraceReader.open(path: path).summary.events == 0)
    }

    @Test func openErrorsAreTypedOneLiners() {
        #expect(throws: TraceFileError.system(operation: "open", path: "/nonexistent-dir/t.umcgtrace", errno: .ENOENT))
        {
            try TraceWriter(path: "/nonexistent-dir/t.umcgtrace", info: Fixture.info())
        }
        #expect(throws: TraceFileError.system(operation: "open", path: "/tmp", errno: .EISDIR)) {
            try TraceReader.open(path: "/tmp")
        }
        let error = TraceFileError.system(operation: "write", path: "/x", errno: .EFBIG)
        #expect(error.isFileTooLarge && error.description == "/x: write failed: File too large (EFBIG)")
        #expect(TraceFileError.system(operation: "open", path: "/x", errno: .EACCES).isPermissionDenied)
    }

    @Test func diskFullBecomesATypedErrorAndLeavesAReadableFile() throws {
        // /dev/full fails every write with ENOSPC.
        #expect(throws: TraceFileError.system(operation: "write", path: "/dev/full", errno: .ENOSPC)) {
            try TraceWriter(path: "/dev/full", info: Fixture.info(), force: true)
        }
        // A memory sink that fills up in the middle of a chunk.
        let events = Fixture.events(count: 5000, seed: 9)
        let (full, _) = try Fixture.trace(events: events)
        let sink = MemorySink(limit: full.count / 2)
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 4096)
        var failure: TraceFileError?
        for e in events {
            do { try writer.append(e) } catch {
                failure = error
                break
            }
        }
        #expect(failure?.isNoSpace == true)
        #expect(throws: TraceFileError.self) { try writer.append(events[0]) }
        #expect(throws: TraceFileError.self) { try writer.finish() }
        #expect(UInt64(sink.bytes.count) == writer.bytesWritten)
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.summary.truncated && reader.summary.lostBytes == 0 && !reader.summary.cleanEnd)
        #expect(reader.summary.events == writer.eventsWritten)
        let read = try Fixture.records(reader).compactMap { if case .event(let e) = $0 { e } else { nil } }
        #expect(read == Array(events.filter { $0.kind != .dropped }.prefix(read.count)))
    }
}

/// `UMCGTRACE_SAMPLE_OUT=/path [UMCGTRACE_SAMPLE_EVENTS=n] swift test --filter writeSampleFile` writes the
/// synthetic mixed trace to a file
/// (for trying `umcgtop report` or an exporter by hand); without the variable the test only checks the writer's path API.
@Suite struct TraceSampleFile {
    @Test func writeSampleFile() throws {
        let out = getenv("UMCGTRACE_SAMPLE_OUT").map { String(cString: $0) }
        let path = out ?? "/tmp/umcgtrace-sample-\(getpid()).umcgtrace"
        defer { if out == nil { unlink(path) } }
        let writer = try TraceWriter(path: path, info: Fixture.info(), force: out != nil)
        var nextKeyframe: UInt64 = 0
        let count = getenv("UMCGTRACE_SAMPLE_EVENTS").flatMap { Int(String(cString: $0)) } ?? 200_000
        let events = Fixture.events(count: max(1, count), seed: 17)
        for (i, e) in events.enumerated() {
            // An entity record half-way (format 2): the fuzz seed (scripts/fuzz-trace) holds one.
            if i == events.count / 2 { try writer.appendEntities(Fixture.lateWorkers, at: e.timestamp) }
            if e.timestamp >= nextKeyframe {
                try writer.appendKeyframe(Fixture.snapshot(at: e.timestamp))
                nextKeyframe = e.timestamp + (count < 10_000 ? 100_000 : 100_000_000)
            }
            try writer.append(e)
        }
        try writer.finish()
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.events == writer.eventsWritten && reader.summary.cleanEnd)
        #expect(reader.summary.bytes == writer.bytesWritten)
        #expect(reader.lateEntities == Fixture.lateWorkers)
    }
}
