import Testing

@testable import UMCGTrace

/// Entity records (format version 2): workers spawned while recording keep their names in the file;
/// version 1 files still open; damaged or misplaced entity records end the readable part like any
/// bad record.
@Suite struct EntityRecordTests {
    static let late = [
        Entity(kind: .worker, id: 8, name: "late-8", tid: 3008),
        Entity(kind: .worker, id: 9, name: "late-9", tid: 3009),
    ]

    /// A file: header (8 workers), events, an entity record for workers 8 and 9, their events, end.
    static func file() throws -> [UInt8] {
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 256)
        try writer.append(TraceEvent(timestamp: 1_000, kind: .switchTo, server: 0, worker: 1))
        try writer.appendEntities(late, at: 1_500)
        try writer.appendEntities([], at: 1_600)  // nothing: no record
        try writer.append(TraceEvent(timestamp: 2_000, kind: .switchTo, server: 1, worker: 9))
        try writer.append(TraceEvent(timestamp: 3_000, kind: .block, server: 1, worker: 9, arg: 1))
        try writer.finish()
        return sink.bytes
    }

    /// Offset of the first record of `type` (walking record headers from the end of the file header).
    static func recordOffset(_ bytes: [UInt8], type: UInt8) -> Int? {
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var offset = 16 + u32(12) + 4
        while offset + 56 <= bytes.count {
            if bytes[offset] == type { return offset }
            offset += 56 + u32(offset + 4)
        }
        return nil
    }

    /// Recomputes a record's CRC after an edit (so only the edited field is wrong).
    static func reseal(_ bytes: inout [UInt8], record offset: Int) {
        let length = (0..<4).reduce(0) { $0 | Int(bytes[offset + 4 + $1]) << (8 * $1) }
        let crc = RecordScan.crc(Array(bytes[offset..<offset + 56]), Array(bytes[offset + 56..<offset + 56 + length]))
        for i in 0..<4 { bytes[offset + 48 + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
    }

    @Test func lateEntitiesJoinTheInfoAndLeaveEventsAndCountsAlone() throws {
        let bytes = try Self.file()
        #expect(bytes[8] == 2 && bytes[9] == 0, "written as version 2")
        for verify in [true, false] {
            let reader = try TraceReader(bytes: bytes, verifyChecksums: verify)
            #expect(reader.lateEntities == Self.late)
            #expect(reader.info.entities == Fixture.info().entities + Self.late)
            #expect(reader.summary.formatVersion == 2)
            #expect(reader.summary.events == 3 && reader.summary.chunks == 2 && reader.summary.keyframes == 0)
            #expect(reader.summary.firstTimestamp == 1_000 && reader.summary.lastTimestamp == 3_000)
            #expect(reader.summary.cleanEnd && reader.summary.warning == nil)
            var events: [TraceEvent] = []
            try reader.forEachRecord { if case .event(let e) = $0 { events.append(e) } }
            #expect(events.map(\.worker) == [1, 9, 9])
        }
    }

    @Test func versionOneFilesStillOpen() throws {
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 256)
        try writer.append(TraceEvent(timestamp: 1_000, kind: .switchTo, server: 0, worker: 1))
        try writer.finish()
        var bytes = sink.bytes
        // Version 1 had the same header and records (no entity records): only the version differs.
        bytes[8] = 1
        let headerLength = (0..<4).reduce(0) { $0 | Int(bytes[12 + $1]) << (8 * $1) }
        let crc = CRC32C.checksum(Array(bytes[0..<16 + headerLength]))
        for i in 0..<4 { bytes[16 + headerLength + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        let reader = try TraceReader(bytes: bytes)
        #expect(reader.summary.formatVersion == 1 && reader.summary.cleanEnd && reader.summary.events == 1)
        #expect(reader.lateEntities.isEmpty && reader.info.entities == Fixture.info().entities)
    }

    @Test func anEntityRecordInAVersionOneFileIsCorrupt() throws {
        var bytes = try Self.file()
        bytes[8] = 1
        let headerLength = (0..<4).reduce(0) { $0 | Int(bytes[12 + $1]) << (8 * $1) }
        let crc = CRC32C.checksum(Array(bytes[0..<16 + headerLength]))
        for i in 0..<4 { bytes[16 + headerLength + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        let offset = try #require(Self.recordOffset(bytes, type: 4))
        let reader = try TraceReader(bytes: bytes)
        #expect(reader.summary.corruptOffset == offset)
        #expect(reader.summary.warning?.contains("entity record in a version 1 file") == true)
        #expect(reader.lateEntities.isEmpty && reader.summary.events == 1)
    }

    @Test func aDamagedEntityRecordEndsTheReadablePart() throws {
        let good = try Self.file()
        let offset = try #require(Self.recordOffset(good, type: 4))
        // Entry count that disagrees with the payload (checksum recomputed).
        var bytes = good
        bytes[offset + 32] = 3
        Self.reseal(&bytes, record: offset)
        var reader = try TraceReader(bytes: bytes, verifyChecksums: false)
        #expect(reader.summary.corruptOffset == offset)
        #expect(reader.summary.warning?.contains("holds 2 entities, header says 3") == true)
        #expect(reader.lateEntities.isEmpty && reader.summary.events == 1)
        // An entry count the payload cannot hold (caught by the header check).
        bytes = good
        bytes[offset + 35] = 0x7F
        Self.reseal(&bytes, record: offset)
        reader = try TraceReader(bytes: bytes)
        #expect(reader.summary.corruptOffset == offset)
        // A flipped payload byte (checksum not recomputed), even without verification.
        bytes = good
        bytes[offset + 56 + 2] ^= 0x40
        reader = try TraceReader(bytes: bytes, verifyChecksums: false)
        #expect(reader.summary.corruptOffset == offset)
        #expect(reader.summary.warning?.contains("checksum mismatch") == true)
        // An unknown entity kind.
        bytes = good
        bytes[offset + 56 + 1] = 9
        Self.reseal(&bytes, record: offset)
        reader = try TraceReader(bytes: bytes)
        #expect(reader.summary.corruptOffset == offset)
        #expect(reader.summary.warning?.contains("unknown entity kind 9") == true)
    }

    /// The pump writes announced entities as one entity record before the events of the same pass, and
    /// entities announced after the last pass still reach the file at stop.
    @Test func thePumpWritesAnnouncedEntities() throws {
        let hub = TraceHub(ringCapacity: 1 << 10)
        let ring = hub.makeRing(label: "w")
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 1024)
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: writer, snapshot: { Fixture.snapshot(at: 1) }, tapCapacity: 1 << 10,
            keyframeInterval: .seconds(3600), clock: { 10 }, startThread: false)
        pump.announce([Self.late[0]])
        ring.push(TraceEvent(timestamp: 5, kind: .switchTo, server: 0, worker: 8))
        pump.pass(now: 7)
        pump.announce([])
        pump.announce([Self.late[1]])
        #expect(pump.stop() == nil)
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.lateEntities == Self.late)
        #expect(reader.summary.cleanEnd && reader.summary.events == 1)
        // The first entity record comes before the chunk holding worker 8's event.
        let entities = try #require(Self.recordOffset(sink.bytes, type: 4))
        let chunk = try #require(Self.recordOffset(sink.bytes, type: 1))
        #expect(entities < chunk)
    }
}
