/// Reads the records of a trace one at a time, from a position to the readable end.
///
/// Each record is re-read and its checksum re-checked (the file may have changed since open);
/// events of a chunk are decoded one by one, so memory stays bounded by one record.
public struct TraceCursor: Sendable {
    private let reader: TraceReader
    /// The record the next call reads from (the current chunk's record while inside one).
    public private(set) var position: TracePosition
    /// The chunk being decoded, valid while `inChunk`.
    private var decoder: EventChunkDecoder
    private var inChunk = false
    private var nextRecord: Int

    init(reader: TraceReader, position: TracePosition) {
        self.reader = reader
        self.position = position
        nextRecord = position.offset
        decoder = EventChunkDecoder.empty
    }

    /// The next record, or nil at the readable end.
    public mutating func next() throws(TraceFileError) -> TraceRecord? {
        while true {
            if inChunk {
                if let event = try decoder.next() {
                    if event.kind == .dropped {
                        return .gap(
                            TraceGap(
                                timestamp: event.timestamp, count: event.arg, server: event.server,
                                worker: event.worker, cpu: event.cpu))
                    }
                    return .event(event)
                }
                inChunk = false
                decoder = EventChunkDecoder.empty
                position = TracePosition(offset: nextRecord)
            }
            let offset = nextRecord
            if offset >= reader.end.offset { return nil }
            let source = reader.source
            let headerBytes = try source.read(at: offset, count: TraceFormat.recordHeaderSize)
            if headerBytes.count != TraceFormat.recordHeaderSize {
                throw .invalid(offset: offset, reason: "record header cut short")
            }
            let header = try RecordHeader.decode(headerBytes, at: offset)
            let payloadOffset = offset + TraceFormat.recordHeaderSize
            if payloadOffset + header.payloadLength > reader.end.offset {
                throw .invalid(offset: offset, reason: "record runs past the readable end")
            }
            let payload = try source.read(at: payloadOffset, count: header.payloadLength)
            if payload.count != header.payloadLength || RecordScan.crc(headerBytes, payload) != header.crc {
                throw .invalid(offset: offset, reason: "checksum mismatch")
            }
            position = TracePosition(offset: offset)
            nextRecord = payloadOffset + header.payloadLength
            switch header.type {
            case .events:
                decoder = EventChunkDecoder(header: header, payload: payload, payloadOffset: payloadOffset)
                inChunk = true
            case .keyframe:
                position = TracePosition(offset: nextRecord)
                return .keyframe(try Snapshot.decodeKeyframe(payload, base: payloadOffset))
            case .entities:
                // Read at open into the reader's `info`: nothing to return here.
                position = TracePosition(offset: nextRecord)
            case .end:
                position = TracePosition(offset: nextRecord)
                return nil
            }
        }
    }
}
