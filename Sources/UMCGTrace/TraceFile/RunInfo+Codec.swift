/// The file header: fixed prefix, `RunInfo` payload, CRC.
///
///     0 "UMCGTRAC"   8 u16 version   10 u16 flags (0)   12 u32 payload length
///     16 payload: u32 clock, u64 wall anchor, u64 monotonic anchor, u32 cpus,
///        strings backend, backend reason, kernel, hostname, scenario,
///        varint entity count, entities (u8 kind, varint id, u32 tid, string name)
///     16 + length: u32 CRC-32C of everything before it
extension RunInfo {
    /// The complete file header for this run.
    func encodedFileHeader() -> [UInt8] {
        var p = ByteWriter(capacity: 256)
        p.u32(TraceFormat.clockMonotonic)
        p.u64(wallClockAnchorNs)
        p.u64(monotonicAnchorNs)
        p.u32(cpus)
        for s in [backend, backendReason, kernel, hostname, scenario] { p.string(s, maxLength: TraceFormat.maxString) }
        Self.encodeEntities(entities, into: &p)
        var w = ByteWriter(capacity: p.bytes.count + 20)
        w.bytes.append(contentsOf: TraceFormat.magic)
        w.u16(TraceFormat.version)
        w.u16(0)
        w.u32(UInt32(truncatingIfNeeded: p.bytes.count))
        w.bytes.append(contentsOf: p.bytes)
        w.u32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    /// Checks the fixed prefix (16 bytes at offset 0) and returns (version, payload length).
    static func decodeFilePrefix(_ prefix: [UInt8], fileSize: Int) throws(TraceFileError) -> (UInt16, Int) {
        if prefix.count < TraceFormat.fileHeaderFixedSize {
            throw .invalid(offset: prefix.count, reason: "file too short for a trace header (\(fileSize) bytes)")
        }
        if Array(prefix[0..<8]) != TraceFormat.magic {
            throw .invalid(offset: 0, reason: "not a umcgtrace file (bad magic)")
        }
        var r = ByteReader(prefix, base: 0)
        r.position = 8
        let version = try r.u16()
        if !TraceFormat.readableVersions.contains(version) {
            throw .invalid(
                offset: 8,
                reason:
                    "unsupported format version \(version) (this umcgtop reads \(TraceFormat.readableVersions.lowerBound) to \(TraceFormat.version))"
            )
        }
        if try r.u16() != 0 { throw .invalid(offset: 10, reason: "unknown header flags") }
        let length = Int(try r.u32())
        if length > TraceFormat.maxHeaderPayload {
            throw .invalid(offset: 12, reason: "absurd header length \(length)")
        }
        if TraceFormat.fileHeaderFixedSize + length + 4 > fileSize {
            throw .invalid(
                offset: 12, reason: "header length \(length) runs past the end of the file (\(fileSize) bytes)")
        }
        return (version, length)
    }

    /// Decodes the header payload (which starts at file offset 16).
    static func decodeHeaderPayload(_ payload: [UInt8]) throws(TraceFileError) -> RunInfo {
        var r = ByteReader(payload, base: TraceFormat.fileHeaderFixedSize)
        let clock = try r.u32("clock")
        if clock != TraceFormat.clockMonotonic { throw r.error("unknown clock id \(clock)") }
        let wall = try r.u64("wall-clock anchor")
        let mono = try r.u64("monotonic anchor")
        let cpus = try r.u32("cpu count")
        var strings: [String] = []
        for name in ["backend", "backend reason", "kernel", "hostname", "scenario"] {
            strings.append(try r.string(name, maxLength: TraceFormat.maxString))
        }
        let entities = try decodeEntities(&r, max: TraceFormat.maxEntities)
        if r.remaining != 0 { throw r.error("\(r.remaining) unexpected bytes at the end of the header") }
        return RunInfo(
            backend: strings[0], backendReason: strings[1], kernel: strings[2], hostname: strings[3], cpus: cpus,
            scenario: strings[4], wallClockAnchorNs: wall, monotonicAnchorNs: mono, entities: entities)
    }

    /// The entity table encoding shared by the header and entity records: varint count, then per
    /// entity u8 kind, varint id, u32 tid, string name.
    static func encodeEntities(_ entities: [Entity], into p: inout ByteWriter) {
        p.varint(UInt64(entities.count))
        for e in entities {
            p.u8(e.kind.rawValue)
            p.varint(UInt64(e.id))
            p.u32(UInt32(bitPattern: e.tid))
            p.string(e.name, maxLength: TraceFormat.maxString)
        }
    }

    /// Decodes an entity table of at most `max` entries (see `encodeEntities`).
    static func decodeEntities(_ r: inout ByteReader, max: UInt64) throws(TraceFileError) -> [Entity] {
        // An entity takes at least 7 bytes: kind, id, tid (4), name length.
        let n = try r.count("entity count", minBytes: 7, max: max)
        var entities: [Entity] = []
        entities.reserveCapacity(n)
        for _ in 0..<n {
            let rawKind = try r.u8("entity kind")
            guard let kind = EntityKind(rawValue: rawKind) else { throw r.error("unknown entity kind \(rawKind)") }
            let id = UInt32(try r.varint("entity id", max: UInt64(UInt32.max)))
            let tid = Int32(bitPattern: try r.u32("entity tid"))
            let name = try r.string("entity name", maxLength: TraceFormat.maxString)
            entities.append(Entity(kind: kind, id: id, name: name, tid: tid))
        }
        return entities
    }
}
