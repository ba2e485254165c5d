/// Writes a `.umcgtrace` file: the header at creation, then whole records (event chunks, keyframes, end).
///
/// Threading rule: one thread at a time (the `TracePump` owns it on its thread).
/// Events are buffered into a chunk that is written when it reaches `chunkBytes`, before a keyframe,
/// on `flush()` and on `finish()`. Every record is written with one write(2) of header + payload, so a
/// crash or a failed write leaves the file readable up to the last complete record; after a failed write
/// the writer cuts the file back to that record and refuses further writes with the same error.
/// Call `finish()`: a writer released without it closes the file without the pending chunk or the end record.
public final class TraceWriter: @unchecked Sendable {
    // SAFETY: used by one thread at a time (see the threading rule); the pump hands it to its
    // own thread and touches it only there, after which `stop()` joins that thread.

    /// The file path ("(memory)" for test sinks).
    public let path: String
    /// Payload size at which the current chunk is written.
    public let chunkBytes: Int
    /// Bytes in the file so far (header and complete records).
    public private(set) var bytesWritten: UInt64 = 0
    /// Events written in complete records (gap entries excluded).
    public private(set) var eventsWritten: UInt64 = 0
    /// Events lost before reaching the writer, as recorded by gap entries.
    public private(set) var droppedWritten: UInt64 = 0
    /// Event chunks written.
    public private(set) var chunksWritten: UInt64 = 0
    /// Keyframes written.
    public private(set) var keyframesWritten: UInt64 = 0
    /// The first write error; once set, every later call throws it.
    public private(set) var error: TraceFileError?
    /// True once the end record is written and the file closed.
    public private(set) var isFinished = false

    private let sink: TraceSink
    // Unchecked: the class is used by one thread at a time (see the threading rule), and the dynamic
    // exclusivity check per event doubled the cost of `append`.
    @exclusivity(unchecked) private var encoder: EventChunkEncoder
    /// False after `finish()` or a write error (one flag for the hot path).
    @exclusivity(unchecked) private var writable = true
    private var record: [UInt8] = []
    private var sequence: UInt64 = 0
    private var gapsWritten: UInt64 = 0
    private var minTimestamp: UInt64 = .max
    private var maxTimestamp: UInt64 = 0

    /// Creates the file at `path` and writes its header; refuses an existing file unless `force`.
    public convenience init(path: String, info: RunInfo, force: Bool = false, chunkBytes: Int = 64 << 10)
        throws(TraceFileError)
    {
        let sink = try FileSink(path: path, force: force)
        do throws(TraceFileError) {
            try self.init(sink: sink, path: path, info: info, chunkBytes: chunkBytes)
        } catch {
            try? sink.close()
            // Remove the headerless file only when this call created it (O_EXCL); with `force` the path may be
            // anything the user named (a device, a file we just truncated), so it is left alone.
            if !force { sink.unlinkFile() }
            throw error
        }
    }

    /// Writes to any sink (tests use memory sinks that fail on demand).
    init(sink: TraceSink, path: String, info: RunInfo, chunkBytes: Int = 64 << 10) throws(TraceFileError) {
        self.sink = sink
        self.path = path
        self.chunkBytes = max(256, min(chunkBytes, TraceFormat.maxRecordPayload / 2))
        encoder = EventChunkEncoder(capacity: self.chunkBytes + 64)
        let header = info.encodedFileHeader()
        try sink.write(header)
        bytesWritten = UInt64(header.count)
    }

    /// Buffers one event (a `.dropped` event becomes a gap entry); writes the chunk when it is full.
    @inline(__always)
    public func append(_ event: TraceEvent) throws(TraceFileError) {
        if !writable { try checkWritable() }
        encoder.append(event)
        if encoder.byteCount >= chunkBytes { try writeChunk() }
    }

    /// Writes a keyframe record (after the buffered events, so the order in the file is the order of calls).
    public func appendKeyframe(_ snapshot: Snapshot) throws(TraceFileError) {
        try checkWritable()
        try writeChunk()
        let payload = snapshot.encodedKeyframe()
        if payload.count > TraceFormat.maxRecordPayload {
            throw .invalid(offset: Int(bytesWritten), reason: "keyframe of \(payload.count) bytes is too large")
        }
        let header = RecordHeader(
            type: .keyframe, payloadLength: payload.count, sequence: sequence, firstTimestamp: snapshot.timestamp,
            lastTimestamp: snapshot.timestamp, entryCount: 1, gapCount: 0, dropped: 0)
        try writeRecord(header, payload)
        keyframesWritten += 1
        note(snapshot.timestamp)
    }

    /// Writes an entity record: `entities` joined the run at `timestamp` (workers spawned after the header
    /// was written). Buffered events are written first, so the file keeps the order of calls. Nothing for
    /// an empty list.
    public func appendEntities(_ entities: [Entity], at timestamp: UInt64) throws(TraceFileError) {
        try checkWritable()
        guard !entities.isEmpty else { return }
        try writeChunk()
        var payload = ByteWriter(capacity: 16 * entities.count + 8)
        RunInfo.encodeEntities(entities, into: &payload)
        if payload.bytes.count > TraceFormat.maxRecordPayload {
            throw .invalid(
                offset: Int(bytesWritten), reason: "entity record of \(payload.bytes.count) bytes is too large")
        }
        let header = RecordHeader(
            type: .entities, payloadLength: payload.bytes.count, sequence: sequence, firstTimestamp: timestamp,
            lastTimestamp: timestamp, entryCount: UInt32(entities.count), gapCount: 0, dropped: 0)
        try writeRecord(header, payload.bytes)
    }

    /// Writes the buffered events as a chunk now (nothing when the buffer is empty).
    public func flush() throws(TraceFileError) {
        try checkWritable()
        try writeChunk()
    }

    /// Writes the pending chunk and the end record, fsyncs and closes. Idempotent; rethrows an earlier error.
    public func finish() throws(TraceFileError) {
        if isFinished { return }
        if let error { throw error }
        try writeChunk()
        var totals = ByteWriter(capacity: 40)
        for v in [eventsWritten, gapsWritten, droppedWritten, chunksWritten, keyframesWritten] { totals.u64(v) }
        let first = minTimestamp == .max ? 0 : minTimestamp
        let header = RecordHeader(
            type: .end, payloadLength: totals.bytes.count, sequence: sequence, firstTimestamp: first,
            lastTimestamp: max(first, maxTimestamp), entryCount: 0, gapCount: 0, dropped: 0)
        try writeRecord(header, totals.bytes)
        do throws(TraceFileError) {
            try sink.sync()
            try sink.close()
        } catch {
            self.error = error
            writable = false
            throw error
        }
        isFinished = true
        writable = false
    }

    private func checkWritable() throws(TraceFileError) {
        if let error { throw error }
        if isFinished { throw .closed(reason: "\(path): trace writer already finished") }
    }

    private func note(_ timestamp: UInt64) {
        minTimestamp = min(minTimestamp, timestamp)
        maxTimestamp = max(maxTimestamp, timestamp)
    }

    private func writeChunk() throws(TraceFileError) {
        if encoder.isEmpty { return }
        let header = encoder.header(sequence: sequence)
        try writeRecord(header, encoder.payload.bytes)
        chunksWritten += 1
        eventsWritten += UInt64(header.entryCount - header.gapCount)
        gapsWritten += UInt64(header.gapCount)
        droppedWritten = droppedWritten.saturatingAdd(header.dropped)
        note(header.firstTimestamp)
        note(header.lastTimestamp)
        encoder.reset()
    }

    /// Frames, checksums and writes one record; on failure cuts the file back and remembers the error.
    private func writeRecord(_ header: RecordHeader, _ payload: [UInt8]) throws(TraceFileError) {
        record.removeAll(keepingCapacity: true)
        record.append(contentsOf: header.encoded())
        let partial = record.withUnsafeBytes { h in
            CRC32C.update(0, UnsafeRawBufferPointer(rebasing: h[0..<TraceFormat.recordCRCOffset]))
        }
        let crc = payload.withUnsafeBytes { CRC32C.update(partial, $0) }
        for i in 0..<4 { record[TraceFormat.recordCRCOffset + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        record.append(contentsOf: payload)
        do throws(TraceFileError) {
            try sink.write(record)
        } catch {
            // Leave only complete records behind; if the cut fails the reader still stops at the partial one.
            _ = sink.truncate(to: bytesWritten)
            self.error = error
            writable = false
            throw error
        }
        bytesWritten += UInt64(record.count)
        sequence += 1
    }
}
