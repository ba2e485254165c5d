import Testing
import UMCGSystem

@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// Untrusted input: cut, flipped and structurally mutated trace files must open up to their last good record
/// or fail with a `TraceFileError` naming an offset — never trap, never allocate by an unchecked field.
///
/// `UMCGTRACE_FUZZ_ITERATIONS` (default 2000) and `UMCGTRACE_FUZZ_SEED` scale the random parts
/// (scripts/fuzz-trace runs them long).
@Suite struct TraceMutationTests {
    static var iterations: Int {
        getenv("UMCGTRACE_FUZZ_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 2000
    }
    static var seed: UInt64 {
        getenv("UMCGTRACE_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 0x5EED
    }

    /// A small but complete trace: every kind, gaps, ~10 keyframes, many small chunks.
    static let sample: (bytes: [UInt8], records: [TraceRecord]) = {
        let events = Fixture.events(count: 400, seed: 21, dropRate: 20)
        // Fixture.trace only throws on sink errors, which a memory sink without limit never raises.
        // An entity record mid-file, so every mutation kind reaches its decoder too (and the fuzz seed holds one).
        return (try? Fixture.trace(events: events, keyframeEvery: 200_000, chunkBytes: 256, entitiesAfter: 150))
            ?? ([], [])
    }()

    /// Record boundaries of a well-formed file: (end offset, TraceRecords contained up to there).
    static func boundaries(_ bytes: [UInt8]) -> (headerEnd: Int, ends: [(end: Int, records: Int)]) {
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let headerEnd = 16 + u32(12) + 4
        var ends: [(Int, Int)] = []
        var offset = headerEnd
        var records = 0
        while offset + 56 <= bytes.count {
            let type = bytes[offset]
            records += type == 1 ? u32(offset + 32) : (type == 2 ? 1 : 0)
            offset += 56 + u32(offset + 4)
            ends.append((offset, records))
        }
        return (headerEnd, ends)
    }

    /// Opens `bytes` and reads every record. Returns the records or the error; traps would crash the test.
    static func readAll(_ bytes: [UInt8], verify: Bool = true) -> (
        reader: TraceReader?, records: [TraceRecord], error: TraceFileError?
    ) {
        let reader: TraceReader
        do { reader = try TraceReader(bytes: bytes, verifyChecksums: verify) } catch { return (nil, [], error) }
        var records: [TraceRecord] = []
        var cursor = reader.makeCursor()
        do {
            while let r = try cursor.next() { records.append(r) }
        } catch {
            return (reader, records, error)
        }
        return (reader, records, nil)
    }

    static func isPrefix(_ a: [TraceRecord], of b: [TraceRecord]) -> Bool {
        a.count <= b.count && zip(a, b).allSatisfy { $0 == $1 }
    }

    /// Cuts at every offset of the header and the first 2 KiB, around every record boundary, and at random
    /// offsets (every offset of the file when UMCGTRACE_FUZZ_ITERATIONS > 2000).
    @Test func cutAtManyOffsets() {
        let (bytes, written) = Self.sample
        #expect(bytes.count > 4000)
        let (headerEnd, ends) = Self.boundaries(bytes)
        var cuts = Set(0...min(bytes.count, 2048))
        for (end, _) in ends { for d in -2...2 where end + d >= 0 && end + d <= bytes.count { cuts.insert(end + d) } }
        var rng = SplitMix64(seed: Self.seed ^ 0xC07)
        for _ in 0..<1500 { cuts.insert(Int.random(in: 0...bytes.count, using: &rng)) }
        if Self.iterations > 2000 { cuts = Set(0...bytes.count) }
        var checked = 0
        for cut in cuts.sorted() {
            let result = Self.readAll(Array(bytes.prefix(cut)))
            if cut < headerEnd {
                guard let error = result.error, let offset = error.offset else {
                    Issue.record("cut \(cut) inside the header opened")
                    continue
                }
                #expect(offset <= max(cut, 16))
                continue
            }
            guard let reader = result.reader, result.error == nil else {
                Issue.record("cut \(cut): \(String(describing: result.error))")
                continue
            }
            let complete = ends.last { $0.end <= cut }
            let lastEnd = complete?.end ?? headerEnd
            let expected = complete?.records ?? 0
            #expect(result.records.count == expected, "cut \(cut)")
            #expect(Self.isPrefix(result.records, of: written), "cut \(cut)")
            #expect(reader.summary.lostBytes == UInt64(cut - lastEnd), "cut \(cut)")
            #expect(reader.summary.truncated == (cut != bytes.count), "cut \(cut)")
            #expect(reader.summary.readableBytes == UInt64(lastEnd))
            checked += 1
        }
        print("mutation: \(cuts.count) cuts of a \(bytes.count)-byte file (\(checked) past the header)")
    }

    @Test func randomByteFlips() {
        let (bytes, written) = Self.sample
        let (headerEnd, _) = Self.boundaries(bytes)
        var rng = SplitMix64(seed: Self.seed)
        var outcomes = [0, 0, 0]  // header error, stopped early, read everything (flip in ignored bytes)
        for _ in 0..<Self.iterations {
            var mutated = bytes
            let flips = Int.random(in: 1...3, using: &rng)
            var firstOffset = Int.max
            for _ in 0..<flips {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                mutated[at] ^= UInt8.random(in: 1...255, using: &rng)
                firstOffset = min(firstOffset, at)
            }
            // Without checksum verification at open, the damage is found while reading, before any bad record.
            let lazy = Self.readAll(mutated, verify: false)
            #expect(Self.isPrefix(lazy.records, of: written))
            let result = Self.readAll(mutated)
            if firstOffset < headerEnd {
                // The header's CRC covers every header byte.
                #expect(result.reader == nil && result.error?.offset != nil)
                outcomes[0] += 1
                continue
            }
            guard let reader = result.reader else {
                Issue.record(
                    "flip at \(firstOffset) after the header failed to open: \(String(describing: result.error))")
                continue
            }
            // Every record read is one that was written, in order; the damage stops the file there.
            #expect(result.error == nil)
            #expect(Self.isPrefix(result.records, of: written))
            #expect(reader.summary.truncated || reader.summary.lostBytes > 0)
            #expect(reader.summary.readableBytes <= UInt64(firstOffset))
            outcomes[result.records.count == written.count ? 2 : 1] += 1
        }
        print(
            "mutation: \(Self.iterations) flips → header errors \(outcomes[0]), stopped early \(outcomes[1]), complete \(outcomes[2])"
        )
    }

    /// Rewrites the CRC of the record at `offset` (or of the header when offset is nil) so mutations reach the decoders.
    static func fixCRC(_ bytes: inout [UInt8], record offset: Int?) {
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        if let offset {
            let length = min(u32(offset + 4), bytes.count - offset - 56)
            var crc = bytes.withUnsafeBytes {
                CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 48]))
            }
            crc = bytes.withUnsafeBytes {
                CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: $0[offset + 56..<offset + 56 + length]))
            }
            for i in 0..<4 { bytes[offset + 48 + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        } else {
            let end = 16 + min(u32(12), bytes.count - 20)
            let crc = bytes.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
            for i in 0..<4 { bytes[end + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        }
    }

    /// Mutations with the checksum fixed up, so the header, record-header, event and keyframe decoders see them.
    @Test func checksumValidMutations() {
        let (bytes, _) = Self.sample
        let (headerEnd, ends) = Self.boundaries(bytes)
        let starts = [headerEnd] + ends.dropLast().map(\.end)
        var rng = SplitMix64(seed: Self.seed ^ 0xC0FFEE)
        var opened = 0
        var failedAtOpen = 0
        var failedReading = 0
        for i in 0..<Self.iterations {
            var mutated = bytes
            let inHeader = i % 5 == 0
            if inHeader {
                let at = Int.random(in: 0..<(headerEnd - 4), using: &rng)
                mutated[at] = UInt8.random(in: 0...255, using: &rng)
                Self.fixCRC(&mutated, record: nil)
            } else {
                let start = starts.randomElement(using: &rng) ?? headerEnd
                let length = (0..<4).reduce(0) { $0 | Int(bytes[start + 4 + $1]) << (8 * $1) }
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    // Mostly payload bytes; sometimes the record header's counts, timestamps and lengths.
                    let at =
                        Bool.random(using: &rng) || length == 0
                        ? start + Int.random(in: 0..<48, using: &rng)
                        : start + 56 + Int.random(in: 0..<length, using: &rng)
                    mutated[at] = UInt8.random(in: 0...255, using: &rng)
                }
                Self.fixCRC(&mutated, record: start)
            }
            _ = Self.readAll(mutated, verify: false)
            let result = Self.readAll(mutated)
            if result.reader == nil {
                failedAtOpen += 1
            } else if result.error != nil {
                failedReading += 1
            } else {
                opened += 1
            }
            if let error = result.error {
                // One line, naming an offset inside the file.
                #expect(error.offset.map { $0 >= 0 && $0 <= mutated.count } == true, "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
        print(
            "mutation: \(Self.iterations) checksum-valid mutations → ok \(opened), open errors \(failedAtOpen), read errors \(failedReading)"
        )
    }

    @Test func absurdFieldsAreRejectedWithOffsets() throws {
        let (bytes, _) = Self.sample
        let (headerEnd, _) = Self.boundaries(bytes)
        func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
            for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
        }

        var b = bytes
        b[3] = 0
        #expect(throws: TraceFileError.invalid(offset: 0, reason: "not a umcgtrace file (bad magic)")) {
            try TraceReader(bytes: b)
        }

        b = bytes
        b[8] = 3
        #expect(
            throws: TraceFileError.invalid(
                offset: 8, reason: "unsupported format version 3 (this umcgtop reads 1 to 2)")
        ) {
            try TraceReader(bytes: b)
        }

        b = bytes
        put32(&b, 12, .max)
        #expect(throws: TraceFileError.invalid(offset: 12, reason: "absurd header length 4294967295")) {
            try TraceReader(bytes: b)
        }

        // An entity count of 2^40 behind a valid CRC: rejected before any allocation.
        var w = ByteWriter()
        w.u32(1)
        w.u64(0)
        w.u64(0)
        w.u32(2)
        for _ in 0..<5 { w.string("x", maxLength: 10) }
        w.varint(1 << 40)
        var header = ByteWriter()
        header.bytes = TraceFormat.magic
        header.u16(1)
        header.u16(0)
        header.u32(UInt32(w.bytes.count))
        header.bytes += w.bytes
        header.u32(CRC32C.checksum(header.bytes))
        #expect(throws: TraceFileError.self) { try TraceReader(bytes: header.bytes) }
        do { _ = try TraceReader(bytes: header.bytes) } catch {
            #expect(error.description.hasPrefix("entity count 1099511627776 exceeds"))
        }

        // A record claiming a 2 GiB payload: the file stops there (cut short), nothing that large is read.
        b = bytes
        put32(&b, headerEnd + 4, 0x7FFF_FFFF)
        let reader = try TraceReader(bytes: b)
        #expect(reader.summary.truncated && reader.summary.readableBytes == UInt64(headerEnd))
        #expect(reader.summary.warning?.contains("offset \(headerEnd)") == true)

        // An entry count the payload cannot hold, with a valid CRC: corrupt at that record.
        b = bytes
        let (_, ends) = Self.boundaries(bytes)
        let second = ends[0].end
        put32(&b, second + 32, 1 << 30)
        Self.fixCRC(&b, record: second)
        let r2 = try TraceReader(bytes: b)
        #expect(r2.summary.corruptOffset == second)
        #expect(r2.summary.warning?.hasPrefix("corrupt at offset \(second)") == true)

        // Absurd worker count inside a checksum-valid keyframe: an error at iteration, naming its offset.
        let snapshotPayload: [UInt8] = [1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        var record = RecordHeader(
            type: .keyframe, payloadLength: snapshotPayload.count, sequence: 0, firstTimestamp: 1, lastTimestamp: 1,
            entryCount: 1, gapCount: 0, dropped: 0
        ).encoded()
        record += snapshotPayload
        var file = Array(bytes.prefix(headerEnd)) + record
        Self.fixCRC(&file, record: headerEnd)
        let r3 = try TraceReader(bytes: file)
        #expect(r3.summary.keyframes == 1)
        #expect(throws: TraceFileError.self) { _ = try r3.seek(to: 5) }
    }
}
