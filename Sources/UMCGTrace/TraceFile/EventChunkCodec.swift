/// The compact encoding of events inside an event chunk.
///
/// Each entry starts with one byte: bits 0–4 the kind (0 = escape: a kind byte and a flags byte follow),
/// bit 5 "server and cpu as the previous entry", bit 6 "worker as the previous entry", bit 7 "arg is 0".
/// Then: zigzag varint timestamp delta from the previous entry (the first entry's delta is from 0);
/// unless bit 5, varint server+1 and varint cpu+1; unless bit 6, varint worker+1; unless bit 7, varint arg.
/// "+1" maps the "none" value (all ones) to 0. The context (previous timestamp, server, cpu, worker)
/// starts at (0, none, none, none) in every chunk, so chunks decode independently.
struct EventChunkEncoder {
    private(set) var payload: ByteWriter
    private(set) var entryCount: UInt32 = 0
    private(set) var gapCount: UInt32 = 0
    private(set) var dropped: UInt64 = 0
    private(set) var firstTimestamp: UInt64 = 0
    private(set) var lastTimestamp: UInt64 = 0
    private var previousTimestamp: UInt64 = 0
    private var previousServer: UInt16 = TraceEvent.noServer
    private var previousCPU: UInt16 = TraceEvent.noCPU
    private var previousWorker: UInt32 = TraceEvent.noWorker

    init(capacity: Int) { payload = ByteWriter(capacity: capacity) }

    var isEmpty: Bool { entryCount == 0 }
    var byteCount: Int { payload.bytes.count }

    /// Appends one event (a `.dropped` event is a gap entry).
    @inline(__always)
    mutating func append(_ e: TraceEvent) {
        if entryCount == 0 {
            firstTimestamp = e.timestamp
            lastTimestamp = e.timestamp
        } else {
            firstTimestamp = min(firstTimestamp, e.timestamp)
            lastTimestamp = max(lastTimestamp, e.timestamp)
        }
        let sameLocation = e.server == previousServer && e.cpu == previousCPU
        let sameWorker = e.worker == previousWorker
        let escape = e.flags != 0 || e.kind.rawValue == 0 || e.kind.rawValue > 31
        var head: UInt8 = escape ? 0 : e.kind.rawValue
        if sameLocation { head |= 0x20 }
        if sameWorker { head |= 0x40 }
        if e.arg == 0 { head |= 0x80 }
        let delta = zigzag(Int64(bitPattern: e.timestamp &- previousTimestamp))
        // Encode into a stack buffer (at most 3 + 10 + 3 + 3 + 5 + 10 = 34 bytes), then append once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            guard let base = buffer.baseAddress else { return }
            var n = 0
            @inline(__always) func put(_ byte: UInt8) {
                base[n] = byte
                n += 1
            }
            @inline(__always) func varint(_ value: UInt64) {
                var v = value
                while v >= 0x80 {
                    put(UInt8(truncatingIfNeeded: v) | 0x80)
                    v >>= 7
                }
                put(UInt8(v))
            }
            put(head)
            if escape {
                put(e.kind.rawValue)
                put(e.flags)
            }
            varint(delta)
            if !sameLocation {
                varint(UInt64(e.server &+ 1))
                varint(UInt64(e.cpu &+ 1))
            }
            if !sameWorker { varint(UInt64(e.worker &+ 1)) }
            if e.arg != 0 { varint(e.arg) }
            payload.bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
        }
        previousTimestamp = e.timestamp
        previousServer = e.server
        previousCPU = e.cpu
        previousWorker = e.worker
        entryCount += 1
        if e.kind == .dropped {
            gapCount += 1
            dropped = dropped.saturatingAdd(e.arg)
        }
    }

    /// The record header for the entries so far (CRC not yet set).
    func header(sequence: UInt64) -> RecordHeader {
        RecordHeader(
            type: .events, payloadLength: payload.bytes.count, sequence: sequence, firstTimestamp: firstTimestamp,
            lastTimestamp: lastTimestamp, entryCount: entryCount, gapCount: gapCount, dropped: dropped)
    }

    /// Empties the encoder for the next chunk, keeping its buffer.
    mutating func reset() {
        payload.bytes.removeAll(keepingCapacity: true)
        entryCount = 0
        gapCount = 0
        dropped = 0
        previousTimestamp = 0
        previousServer = TraceEvent.noServer
        previousCPU = TraceEvent.noCPU
        previousWorker = TraceEvent.noWorker
    }
}

/// Decodes the entries of one event chunk, one at a time, checking each against the chunk header.
struct EventChunkDecoder {
    private var reader: ByteReader
    private let header: RecordHeader
    private var decoded: UInt32 = 0
    private var gaps: UInt32 = 0
    private var dropped: UInt64 = 0
    private var previousTimestamp: UInt64 = 0
    private var previousServer: UInt16 = TraceEvent.noServer
    private var previousCPU: UInt16 = TraceEvent.noCPU
    private var previousWorker: UInt32 = TraceEvent.noWorker

    /// A decoder of an empty chunk (a placeholder).
    static let empty = EventChunkDecoder(
        header: RecordHeader(
            type: .events, payloadLength: 0, sequence: 0, firstTimestamp: 0, lastTimestamp: 0, entryCount: 0,
            gapCount: 0, dropped: 0),
        payload: [], payloadOffset: 0)

    /// `payloadOffset` is the file offset of `payload[0]`.
    init(header: RecordHeader, payload: [UInt8], payloadOffset: Int) {
        self.header = header
        reader = ByteReader(payload, base: payloadOffset)
    }

    /// The next event, or nil at the end of the chunk (after checking the totals).
    mutating func next() throws(TraceFileError) -> TraceEvent? {
        if decoded == header.entryCount {
            if reader.remaining != 0 { throw reader.error("\(reader.remaining) bytes after the last event of a chunk") }
            if gaps != header.gapCount || dropped != header.dropped {
                throw reader.error("gap entries do not match the chunk header")
            }
            return nil
        }
        let start = reader.offset
        let head = try reader.u8("event kind")
        var rawKind = head & 0x1F
        var flags: UInt8 = 0
        if rawKind == 0 {
            rawKind = try reader.u8("event kind")
            flags = try reader.u8("event flags")
        }
        guard let kind = TraceEventKind(rawValue: rawKind) else {
            throw .invalid(offset: start, reason: "unknown event kind \(rawKind)")
        }
        let delta = unzigzag(try reader.varint("timestamp delta"))
        let timestamp = previousTimestamp &+ UInt64(bitPattern: delta)
        if timestamp < header.firstTimestamp || timestamp > header.lastTimestamp {
            throw .invalid(offset: start, reason: "event timestamp outside its chunk's range")
        }
        if head & 0x20 == 0 {
            previousServer = UInt16(truncatingIfNeeded: try reader.varint("server", max: 1 << 16) &- 1)
            previousCPU = UInt16(truncatingIfNeeded: try reader.varint("cpu", max: 1 << 16) &- 1)
        }
        if head & 0x40 == 0 {
            previousWorker = UInt32(truncatingIfNeeded: try reader.varint("worker", max: 1 << 32) &- 1)
        }
        let arg = head & 0x80 == 0 ? try reader.varint("event argument") : 0
        previousTimestamp = timestamp
        decoded += 1
        if kind == .dropped {
            gaps += 1
            dropped = dropped.saturatingAdd(arg)
        }
        return TraceEvent(
            timestamp: timestamp, kind: kind, server: previousServer, worker: previousWorker, cpu: previousCPU,
            arg: arg, flags: flags)
    }
}
