/// The scan `TraceReader.open` does: every record header and (unless `verify` is off) checksum,
/// no event decoding. Without verification only the end record's payload is read.
struct RecordScan {
    private(set) var summary: TraceSummary
    private(set) var keyframes: [(timestamp: UInt64, offset: Int)] = []
    /// Entities of the entity records (version 2), in file order.
    private(set) var lateEntities: [Entity] = []
    private let size: Int
    private let verify: Bool
    private let version: UInt16
    /// Entities the file may still declare (header and entity records together stay within `maxEntities`).
    private var entityBudget: UInt64

    init(version: UInt16, size: Int, verify: Bool = true, headerEntities: Int = 0) {
        self.size = size
        self.verify = verify
        self.version = version
        entityBudget = TraceFormat.maxEntities - min(TraceFormat.maxEntities, UInt64(headerEntities))
        summary = TraceSummary(
            formatVersion: version, events: 0, gaps: 0, dropped: 0, chunks: 0, keyframes: 0, bytes: UInt64(size),
            readableBytes: 0, firstTimestamp: nil, lastTimestamp: nil, cleanEnd: false, truncated: false,
            lostBytes: 0, corruptOffset: nil, warning: nil)
    }

    /// Scans records from `offset` until the end record, the end of the file, or the first bad record.
    mutating func run(source: TraceSource, from offset: Int) throws(TraceFileError) {
        var offset = offset
        var sequence: UInt64 = 0
        while true {
            summary.readableBytes = UInt64(offset)
            if offset == size {
                summary.truncated = true
                summary.warning = "file ends without an end record (recording did not finish); 0 bytes lost"
                return
            }
            if size - offset < TraceFormat.recordHeaderSize {
                return cutShort(at: offset)
            }
            let headerBytes = try source.read(at: offset, count: TraceFormat.recordHeaderSize)
            let header: RecordHeader
            do {
                header = try RecordHeader.decode(headerBytes, at: offset)
            } catch {
                return corrupt(at: offset, error.reason)
            }
            let recordEnd = offset + TraceFormat.recordHeaderSize + header.payloadLength
            if recordEnd > size { return cutShort(at: offset) }
            if header.type == .entities && version < TraceFormat.entityRecordsVersion {
                return corrupt(at: offset, "entity record in a version \(version) file")
            }
            var entities: [Entity] = []
            if verify || header.type == .end || header.type == .entities {
                let payload = try source.read(at: offset + TraceFormat.recordHeaderSize, count: header.payloadLength)
                if payload.count != header.payloadLength { return cutShort(at: offset) }
                if Self.crc(headerBytes, payload) != header.crc { return corrupt(at: offset, "checksum mismatch") }
                if header.type == .end, let problem = endRecordProblem(payload) { return corrupt(at: offset, problem) }
                if header.type == .entities {
                    do {
                        entities = try Self.decodeEntities(payload, header, at: offset, max: entityBudget)
                    } catch {
                        return corrupt(at: offset, error.reason)
                    }
                }
            }
            if header.sequence != sequence {
                return corrupt(at: offset, "record sequence \(header.sequence), expected \(sequence)")
            }
            switch header.type {
            case .events:
                summary.chunks += 1
                summary.events += UInt64(header.entryCount - header.gapCount)
                summary.gaps += UInt64(header.gapCount)
                summary.dropped = summary.dropped.saturatingAdd(header.dropped)
                note(header)
            case .keyframe:
                summary.keyframes += 1
                keyframes.append((header.firstTimestamp, offset))
                note(header)
            case .entities:
                // Not an event: the summary's counts and time span stay those of events and keyframes.
                lateEntities += entities
                entityBudget -= UInt64(entities.count)
            case .end:
                summary.cleanEnd = true
                summary.readableBytes = UInt64(recordEnd)
                if recordEnd < size {
                    summary.lostBytes = UInt64(size - recordEnd)
                    summary.warning = "\(size - recordEnd) bytes after the end record ignored"
                }
                return
            }
            sequence += 1
            offset = recordEnd
        }
    }

    /// An entity record's payload: exactly `header.entryCount` entities (at most `max`) and nothing after them.
    static func decodeEntities(_ payload: [UInt8], _ header: RecordHeader, at offset: Int, max: UInt64)
        throws(TraceFileError) -> [Entity]
    {
        var r = ByteReader(payload, base: offset + TraceFormat.recordHeaderSize)
        let entities = try RunInfo.decodeEntities(&r, max: max)
        if entities.count != Int(header.entryCount) {
            throw .invalid(
                offset: offset + 32,
                reason: "entity record holds \(entities.count) entities, header says \(header.entryCount)")
        }
        if r.remaining != 0 { throw r.error("\(r.remaining) unexpected bytes at the end of the entity record") }
        return entities
    }

    /// CRC-32C of the header's first 48 bytes and the payload.
    static func crc(_ header: [UInt8], _ payload: [UInt8]) -> UInt32 {
        let partial = header.withUnsafeBytes {
            CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[0..<TraceFormat.recordCRCOffset]))
        }
        return payload.withUnsafeBytes { CRC32C.update(partial, $0) }
    }

    /// The end record's totals must match what the scan counted.
    private func endRecordProblem(_ payload: [UInt8]) -> String? {
        if payload.count != 40 { return "end record of \(payload.count) bytes, expected 40" }
        let r = ByteReader(payload, base: 0)
        var totals: [UInt64] = []
        for i in 0..<5 {
            totals.append(UInt64(r.littleEndianU32(at: 8 * i)) | UInt64(r.littleEndianU32(at: 8 * i + 4)) << 32)
        }
        let counted = [
            summary.events, summary.gaps, summary.dropped, UInt64(summary.chunks), UInt64(summary.keyframes),
        ]
        return totals == counted ? nil : "end record totals do not match the records before it"
    }

    private mutating func note(_ header: RecordHeader) {
        summary.firstTimestamp = min(summary.firstTimestamp ?? .max, header.firstTimestamp)
        summary.lastTimestamp = max(summary.lastTimestamp ?? 0, header.lastTimestamp)
    }

    private mutating func cutShort(at offset: Int) {
        summary.truncated = true
        summary.lostBytes = UInt64(size - offset)
        summary.warning = "file cut short: last record incomplete at offset \(offset), \(size - offset) bytes lost"
    }

    private mutating func corrupt(at offset: Int, _ reason: String) {
        summary.truncated = true
        summary.corruptOffset = offset
        summary.lostBytes = UInt64(size - offset)
        summary.warning = "corrupt at offset \(offset) (\(reason)); \(size - offset) bytes lost"
    }
}
