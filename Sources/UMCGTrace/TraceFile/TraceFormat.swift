/// Constants of the `.umcgtrace` format (docs/TraceFormat.md is the specification).
public enum TraceFormat {
    /// The 8 bytes every trace file starts with: "UMCGTRAC".
    public static let magic: [UInt8] = Array("UMCGTRAC".utf8)
    /// The format version this code writes (2: entity records; version 1 files are read too).
    public static let version: UInt16 = 2
    /// The format versions this code reads.
    public static let readableVersions: ClosedRange<UInt16> = 1...2
    /// The first version with entity records (type 4).
    static let entityRecordsVersion: UInt16 = 2
    /// `clock` field value for CLOCK_MONOTONIC timestamps in ns.
    public static let clockMonotonic: UInt32 = 1

    /// magic (8) + version (2) + flags (2) + header payload length (4).
    static let fileHeaderFixedSize = 16
    /// Largest header payload a reader accepts.
    static let maxHeaderPayload = 16 << 20
    /// Size of every record header.
    static let recordHeaderSize = 56
    /// Largest record payload a reader accepts (and a writer produces).
    static let maxRecordPayload = 64 << 20
    /// Longest string field (names, scenario, kernel…) in bytes.
    static let maxString = 4096
    /// Most entities / servers / workers / baselines a reader accepts in one table.
    static let maxEntities: UInt64 = 1 << 20
    /// Byte offset of the CRC inside a record header.
    static let recordCRCOffset = 48
}

/// The kinds of record after the file header. Frozen raw values.
enum RecordType: UInt8 {
    /// Compactly encoded events (gaps included as `.dropped` entries).
    case events = 1
    /// A full `Snapshot`.
    case keyframe = 2
    /// The clean end of the file, with totals.
    case end = 3
    /// Entities that joined after the header was written (workers spawned while recording); version 2 on.
    case entities = 4
}

/// The fixed 56-byte header in front of every record's payload.
///
///     0  u8  type          1 u8 flags (0)     2 u16 reserved (0)
///     4  u32 payload length
///     8  u64 sequence number (0, 1, 2 … over all records)
///     16 u64 first timestamp   24 u64 last timestamp
///     32 u32 entry count       36 u32 gap entry count
///     40 u64 events dropped (sum of the gap entries' counts)
///     48 u32 CRC-32C of bytes 0..<48 and the payload
///     52 u32 reserved (0)
struct RecordHeader: Equatable {
    var type: RecordType
    var payloadLength: Int
    var sequence: UInt64
    var firstTimestamp: UInt64
    var lastTimestamp: UInt64
    var entryCount: UInt32
    var gapCount: UInt32
    var dropped: UInt64
    var crc: UInt32 = 0

    /// The 56 header bytes (with `crc` as stored).
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: TraceFormat.recordHeaderSize)
        w.u8(type.rawValue)
        w.u8(0)
        w.u16(0)
        w.u32(UInt32(truncatingIfNeeded: payloadLength))
        w.u64(sequence)
        w.u64(firstTimestamp)
        w.u64(lastTimestamp)
        w.u32(entryCount)
        w.u32(gapCount)
        w.u64(dropped)
        w.u32(crc)
        w.u32(0)
        return w.bytes
    }

    /// Parses and sanity-checks a header read at file offset `offset`; the CRC is checked later with the payload.
    static func decode(_ bytes: [UInt8], at offset: Int) throws(TraceFileError) -> RecordHeader {
        var r = ByteReader(bytes, base: offset)
        let rawType = try r.u8("record type")
        guard let type = RecordType(rawValue: rawType) else {
            throw .invalid(offset: offset, reason: "unknown record type \(rawType)")
        }
        let flags = try r.u8("record flags")
        let reserved = try r.u16("record reserved")
        if flags != 0 || reserved != 0 { throw .invalid(offset: offset + 1, reason: "unknown record flags") }
        let length = Int(try r.u32("payload length"))
        if length > TraceFormat.maxRecordPayload {
            throw .invalid(offset: offset + 4, reason: "absurd payload length \(length)")
        }
        var h = RecordHeader(
            type: type, payloadLength: length, sequence: try r.u64(), firstTimestamp: try r.u64(),
            lastTimestamp: try r.u64(), entryCount: try r.u32(), gapCount: try r.u32(), dropped: try r.u64())
        h.crc = try r.u32()
        if try r.u32("record reserved") != 0 { throw .invalid(offset: offset + 52, reason: "unknown record flags") }
        if h.firstTimestamp > h.lastTimestamp {
            throw .invalid(offset: offset + 16, reason: "first timestamp after last timestamp")
        }
        switch type {
        case .events:
            // Every entry takes at least 2 bytes (its kind byte and a timestamp delta).
            if UInt64(h.entryCount) * 2 > UInt64(length) {
                throw .invalid(offset: offset + 32, reason: "entry count \(h.entryCount) cannot fit in \(length) bytes")
            }
            if h.gapCount > h.entryCount || (h.gapCount == 0) != (h.dropped == 0) {
                throw .invalid(offset: offset + 36, reason: "inconsistent gap counts")
            }
        case .entities:
            // Every entity takes at least 7 bytes (kind, id, tid, name length).
            if UInt64(h.entryCount) * 7 > UInt64(length) {
                throw .invalid(offset: offset + 32, reason: "entry count \(h.entryCount) cannot fit in \(length) bytes")
            }
            if h.gapCount != 0 || h.dropped != 0 {
                throw .invalid(offset: offset + 36, reason: "inconsistent gap counts")
            }
        case .keyframe, .end:
            if h.gapCount != 0 || h.dropped != 0 {
                throw .invalid(offset: offset + 36, reason: "inconsistent gap counts")
            }
        }
        return h
    }
}
