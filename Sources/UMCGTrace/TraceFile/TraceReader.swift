/// Reads a `.umcgtrace` file, treating every byte as untrusted.
///
/// `open` reads and checks the header, then scans every record's header and checksum without decoding
/// event payloads, building the summary and an index of keyframes for `seek(to:)`.
/// A file cut short or with a corrupt record opens up to its last good record (`summary.truncated`,
/// `summary.warning`); a bad file header is an error. Allocations are bounded by format caps and the file size.
/// Thread-safe: the reader is immutable; cursors are values owned by their user.
public final class TraceReader: Sendable {
    /// The run the file recorded: the header, with the entities of the entity records (workers spawned
    /// while recording, version 2) appended in file order.
    public let info: RunInfo
    /// The entities of the entity records alone (also at the end of `info.entities`).
    public let lateEntities: [Entity]
    /// What the scan at open found.
    public let summary: TraceSummary
    /// The file path, or "(memory)".
    public var path: String { source.path }
    /// Position of the first record.
    public let start: TracePosition
    /// End of the readable part: records at or after it are never read.
    public let end: TracePosition
    /// Keyframe timestamps and offsets, in file order.
    let keyframeIndex: [(timestamp: UInt64, offset: Int)]
    let source: TraceSource

    /// Opens and scans the trace file at `path`.
    ///
    /// With `verifyChecksums` (the default) the scan reads every payload to check its CRC, so the summary knows
    /// about damage anywhere; without it the scan reads only record headers (fast on very large files) and a
    /// damaged payload is found when a cursor reaches it (it throws, naming the offset).
    public static func open(path: String, verifyChecksums: Bool = true) throws(TraceFileError) -> TraceReader {
        try TraceReader(source: TraceSource(path: path), verifyChecksums: verifyChecksums)
    }

    /// Scans a trace held in memory.
    public convenience init(bytes: [UInt8], verifyChecksums: Bool = true) throws(TraceFileError) {
        try self.init(source: TraceSource(bytes: bytes), verifyChecksums: verifyChecksums)
    }

    init(source: TraceSource, verifyChecksums: Bool = true) throws(TraceFileError) {
        self.source = source
        let size = source.size
        let prefix = try source.read(at: 0, count: TraceFormat.fileHeaderFixedSize)
        let (version, headerLength) = try RunInfo.decodeFilePrefix(prefix, fileSize: size)
        let headerPayload = try source.read(at: TraceFormat.fileHeaderFixedSize, count: headerLength + 4)
        if headerPayload.count != headerLength + 4 {
            throw .invalid(offset: size, reason: "file ends inside its header")
        }
        let stored = ByteReader(headerPayload, base: 16).littleEndianU32(at: headerLength)
        var crc = prefix.withUnsafeBytes { CRC32C.update(0, $0) }
        crc = headerPayload.withUnsafeBytes {
            CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: $0[0..<headerLength]))
        }
        if crc != stored { throw .invalid(offset: 0, reason: "header checksum mismatch") }
        var info = try RunInfo.decodeHeaderPayload(Array(headerPayload[0..<headerLength]))
        let first = TraceFormat.fileHeaderFixedSize + headerLength + 4
        start = TracePosition(offset: first)
        var scan = RecordScan(
            version: version, size: size, verify: verifyChecksums, headerEntities: info.entities.count)
        try scan.run(source: source, from: first)
        lateEntities = scan.lateEntities
        info.entities += scan.lateEntities
        self.info = info
        keyframeIndex = scan.keyframes
        summary = scan.summary
        end = TracePosition(offset: Int(scan.summary.readableBytes))
    }

    /// Timestamps of the keyframes, in file order.
    public var keyframeTimestamps: [UInt64] { keyframeIndex.map(\.timestamp) }

    /// A cursor reading records from `position` (default: the first record) to the readable end.
    public func makeCursor(from position: TracePosition? = nil) -> TraceCursor {
        TraceCursor(reader: self, position: position ?? start)
    }

    /// Calls `body` with every record from `position` (default: the first) to the readable end, in file order.
    /// Data errors are thrown as `TraceFileError`; errors from `body` are passed through.
    public func forEachRecord(from position: TracePosition? = nil, _ body: (TraceRecord) throws -> Void) throws {
        var cursor = makeCursor(from: position)
        while let record = try cursor.next() { try body(record) }
    }

    /// The nearest keyframe at or before `timestamp` and the position just after it, from which the events
    /// that follow it can be read; (nil, start) when no keyframe is that early. Decodes only that keyframe.
    public func seek(to timestamp: UInt64) throws(TraceFileError) -> (snapshot: Snapshot?, position: TracePosition) {
        // Binary search for the last keyframe with a timestamp ≤ `timestamp` (keyframes are written in time order).
        var lo = 0
        var hi = keyframeIndex.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keyframeIndex[mid].timestamp <= timestamp { lo = mid + 1 } else { hi = mid }
        }
        if lo == 0 { return (nil, start) }
        var cursor = makeCursor(from: TracePosition(offset: keyframeIndex[lo - 1].offset))
        guard case .keyframe(let snapshot)? = try cursor.next() else {
            throw .invalid(offset: keyframeIndex[lo - 1].offset, reason: "keyframe vanished since open")
        }
        return (snapshot, cursor.position)
    }
}

extension ByteReader {
    /// The little-endian u32 at `at` (caller checked the bounds).
    func littleEndianU32(at: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[at + i]) << UInt32(8 * i) }
        return v
    }
}
