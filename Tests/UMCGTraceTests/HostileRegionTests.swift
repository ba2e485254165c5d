import Foundation
import Testing
import UMCGSystem

@testable import UMCGTrace

/// The region is input from another process: hand-made hostile regions and ≥ 2,000 random
/// mutants of a valid one (fixed seed) give a one-line `SharedRegionError`, `nil` or gap markers,
/// never a trap, a hang or an unbounded allocation. Runs under ASan (scripts/sanitizers).
@Suite struct HostileRegionTests {
    /// A valid region's bytes (2 rings of 16 slots, events in ring 0, info and a snapshot published).
    static func validImage() throws -> [UInt8] {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let options = PublishedRegion.Options(
            ringCount: 2, ringCapacity: 16, infoBytes: 2048, snapshotBytes: 2048, directory: dir, backend: "emulated")
        let region = try PublishedRegion.create(options)
        let ring = try #require(region.makeRing(label: "srv0", tid: 7))
        _ = try #require(region.makeRing(label: "srv1", tid: 8))
        for e in Fixture.events(count: 10, seed: 3, workers: 2) { ring.push(e) }
        #expect(ring.count == imageEvents)
        #expect(region.publish(info: Fixture.info(servers: 2, workers: 2)))
        #expect(region.publish(snapshot: Fixture.snapshot(at: 100, servers: 2, workers: 2)))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: region.path)))
        region.close(exitStatus: nil)
        return bytes
    }

    /// Events waiting in ring 0 of `validImage()` (a full ring of 16 slots: 13 events, then drops).
    static let imageEvents = 13

    /// What a viewer made of a region.
    enum Outcome: Equatable {
        case refused(SharedRegionError.Kind)
        case read(events: Int)
    }

    /// Writes `bytes` as this process's region file in `dir` and does everything a viewer does.
    static func attach(_ bytes: [UInt8], dir: String) throws -> Outcome {
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let viewer: AttachedRegion
        do {
            viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        } catch {
            #expect(!error.description.contains("\n") && !error.description.isEmpty)
            return .refused(error.kind)
        }
        defer { viewer.detach() }
        do { _ = try viewer.readInfo() } catch { #expect(error.kind == .invalid && !error.description.contains("\n")) }
        _ = viewer.latestSnapshot()
        _ = viewer.targetState
        _ = viewer.viewerCount
        let rings = viewer.rings
        _ = viewer.eventsPublished
        _ = viewer.acquireConsumer()  // a hostile lease word may name a live process: then drain gives 0
        var events = 0
        var markers = 0
        viewer.drain(limit: .max) { e in
            events += 1
            if e.kind == .dropped { markers += 1 }
        }
        // At most one lap per ring, plus one resync marker per ring and one gap marker per slot.
        let bound = rings.reduce(0) { $0 + 2 * $1.capacity + 1 }
        #expect(events <= bound)
        return .read(events: events)
    }

    static func set64(_ bytes: inout [UInt8], _ offset: Int, _ v: UInt64) {
        for i in 0..<8 where offset + i < bytes.count { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }
    static func set32(_ bytes: inout [UInt8], _ offset: Int, _ v: UInt32) {
        for i in 0..<4 where offset + i < bytes.count { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }
    static func get64(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) })
    }

    @Test func validImageReadsBack() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let image = try Self.validImage()
        #expect(try Self.attach(image, dir: dir) == .read(events: Self.imageEvents))
    }

    /// Hand-made hostile regions, each refused with the reason named.
    @Test(arguments: [
        ("empty", "smaller than its"), ("short", "smaller than its"), ("magic", "bad magic"),
        ("version", "layout version"), ("claimed size", "claims"), ("pid", "names process"),
        ("directory outside", "lies outside"), ("directory count", "ring directory of"),
        ("overlap", "overlap"), ("area in header", "overlaps the header"), ("huge area", "area sizes"),
        ("data before areas", "ring data"), ("unaligned", "unaligned"),
    ])
    func handMadeRegionsAreRefused(_ name: String, _ reason: String) throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        var b = try Self.validImage()
        switch name {
        case "empty": b = []
        case "short": b = Array(b.prefix(100))
        case "magic": b[0] ^= 0xFF
        case "version": Self.set32(&b, RegionLayout.versionOffset, 2)
        case "claimed size": Self.set64(&b, RegionLayout.regionBytesOffset, 1 << 40)
        case "pid": Self.set32(&b, RegionLayout.pidOffset, 1)
        case "directory outside": Self.set64(&b, RegionLayout.directoryOffsetOffset, UInt64(b.count - 8))
        case "directory count": Self.set32(&b, RegionLayout.directoryCountOffset, 1_000_000)
        case "overlap":
            Self.set64(&b, RegionLayout.infoOffsetOffset, UInt64(Self.get64(b, RegionLayout.snapshotOffsetOffset)))
        case "area in header": Self.set64(&b, RegionLayout.infoOffsetOffset, 64)
        case "huge area": Self.set64(&b, RegionLayout.snapshotBytesOffset, 1 << 40)
        case "data before areas": Self.set64(&b, RegionLayout.dataOffsetOffset, 4096)
        case "unaligned":
            Self.set64(&b, RegionLayout.infoOffsetOffset, UInt64(Self.get64(b, RegionLayout.infoOffsetOffset) + 3))
        default: Issue.record("unknown case \(name)")
        }
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        try Data(b).write(to: URL(fileURLWithPath: path))
        #expect(throws: SharedRegionError.self) { try AttachedRegion.open(pid: RegionFixture.pid, directory: dir) }
        do {
            _ = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.description.contains(reason), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    /// A file claiming 17 GiB (sparse) is refused before it is mapped.
    @Test func hugeFileIsRefusedBeforeMapping() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        let fd = try FileDescriptor.openReadWrite(path, create: .exclusive)
        try fd.truncate(to: 17 << 30)
        try fd.close()
        do {
            _ = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
            Issue.record("a 17 GiB region was accepted")
        } catch {
            #expect(error.kind == .invalid && error.description.contains("limit"))
        }
    }

    /// Bad directory entries are skipped (counted), the good ring still drains.
    @Test func badRingEntriesAreSkipped() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let image = try Self.validImage()
        let entry1 = RegionLayout.headerBytes + RegionLayout.directoryEntryBytes
        let ring0 = Self.get64(image, RegionLayout.headerBytes + RegionLayout.entryOffset)
        for (name, patch) in [
            (
                "outside",
                { (b: inout [UInt8]) in Self.set64(&b, entry1 + RegionLayout.entryOffset, UInt64(b.count - 64)) }
            ),
            ("capacity", { (b: inout [UInt8]) in Self.set64(&b, entry1 + RegionLayout.entryCapacity, 24) }),
            ("huge capacity", { (b: inout [UInt8]) in Self.set64(&b, entry1 + RegionLayout.entryCapacity, 1 << 40) }),
            (
                "overlap",
                { (b: inout [UInt8]) in Self.set64(&b, entry1 + RegionLayout.entryOffset, UInt64(ring0 + 128)) }
            ),
            ("in header", { (b: inout [UInt8]) in Self.set64(&b, entry1 + RegionLayout.entryOffset, 0) }),
        ] {
            var b = image
            patch(&b)
            let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
            try Data(b).write(to: URL(fileURLWithPath: path))
            let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
            var n = 0
            viewer.drain { _ in n += 1 }
            #expect(n == Self.imageEvents, "\(name)")
            #expect(viewer.rejectedRings == 1, "\(name)")
            #expect(viewer.rings.count == 1, "\(name)")
        }
    }

    /// Hostile ring indices are clamped: a write index far ahead gives one lap and one marker; one behind, nothing.
    @Test func hostileIndicesAreClamped() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let image = try Self.validImage()
        let ring0 = Self.get64(image, RegionLayout.headerBytes + RegionLayout.entryOffset)
        var ahead = image
        Self.set64(&ahead, ring0, 1 << 50)
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        try Data(ahead).write(to: URL(fileURLWithPath: path))
        var viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        var events: [TraceEvent] = []
        viewer.drain { events.append($0) }
        #expect(events.first?.kind == .dropped && events.first?.arg == (1 << 50) - 16)
        #expect(events.count <= 1 + 16)
        viewer.detach()

        var behind = image
        Self.set64(&behind, ring0 + 128, 1 << 40)  // readIndex ahead of writeIndex
        try Data(behind).write(to: URL(fileURLWithPath: path))
        viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        var n = 0
        viewer.drain { _ in n += 1 }
        #expect(n == 0)
        #expect(viewer.memory.atomic64(ring0 + 128).pointee.load(ordering: .relaxed) == UInt64(Self.imageEvents))
    }

    /// Unknown kinds become one gap marker per run; the valid events around them still arrive.
    @Test func invalidKindsBecomeGapMarkers() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        var b = try Self.validImage()
        let ring0 = Self.get64(b, RegionLayout.headerBytes + RegionLayout.entryOffset)
        let slots = ring0 + RegionLayout.ringControlBytes
        // Slots 0..12 hold the image's events: spoil slots 3, 4 and 9.
        for i in [3, 4, 9] { b[slots + i * RegionLayout.slotBytes + RegionLayout.slotKind] = 200 }
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        try Data(b).write(to: URL(fileURLWithPath: path))
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        var events: [TraceEvent] = []
        viewer.drain { events.append($0) }
        let gaps = events.filter {
            $0.kind == .dropped && $0.server == TraceEvent.noServer && $0.cpu == TraceEvent.noCPU
        }
        #expect(viewer.invalidEvents == 3)
        #expect(gaps.map(\.arg).suffix(2) == [2, 1])
    }

    /// A torn (odd forever) or corrupt area reads as "nothing this tick", never hangs.
    @Test func tornAndCorruptAreasReadAsNothing() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let image = try Self.validImage()
        let info = Self.get64(image, RegionLayout.infoOffsetOffset)
        let snapshot = Self.get64(image, RegionLayout.snapshotOffsetOffset)
        let snapshotBytes = Self.get64(image, RegionLayout.snapshotBytesOffset)
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        var odd = image
        Self.set32(&odd, info, 7)
        for buffer in 0..<2 { Self.set32(&odd, snapshot + buffer * snapshotBytes, 9) }
        try Data(odd).write(to: URL(fileURLWithPath: path))
        var viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(try viewer.readInfo() == nil)
        #expect(viewer.latestSnapshot() == nil)
        viewer.detach()

        var crc = image
        crc[info + RegionLayout.areaHeaderBytes + 20] ^= 0x55
        try Data(crc).write(to: URL(fileURLWithPath: path))
        viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(try viewer.readInfo() == nil)
        viewer.detach()

        var long = image
        Self.set32(&long, info + 4, 0xFFFF_FFF0)
        try Data(long).write(to: URL(fileURLWithPath: path))
        viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(throws: SharedRegionError.self) { try viewer.readInfo() }
    }

    /// A consistent area (valid sequence and CRC) with hostile contents: the decoders refuse it.
    @Test func consistentGarbageIsRefusedByTheDecoders() throws {
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
        defer { bytes.deallocate() }
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        let area = SeqlockArea(memory: RegionMemory(base: bytes, size: 4096), offset: 0, bytes: 4096)
        var rng = SplitMix64(seed: 12)
        for _ in 0..<500 {
            let garbage = (0..<Int(rng.next() % 600)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(area.write(garbage))
            guard case .payload(let read) = area.read() else {
                Issue.record("a consistent area did not read back")
                continue
            }
            #expect(read == garbage)
            #expect(throws: SharedRegionError.self) { try AttachedRegion.decodeInfo(read, path: "x") }
        }
        #expect(!area.write([UInt8](repeating: 1, count: 5000)))
    }

    /// ≥ 2,000 random mutants of a valid region (fixed seed): each is refused with one line or read within bounds.
    @Test func randomMutantsNeverTrap() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let image = try Self.validImage()
        let interesting: [UInt64] = [
            0, 1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 127, 128, 4095, 4096, 4097, UInt64(image.count),
            UInt64(image.count) - 1, UInt64(image.count) + 1, 1 << 31, 1 << 32, 1 << 63, .max, .max - 1,
        ]
        var rng = SplitMix64(seed: 0x5EED_12)
        var refused = 0
        var read = 0
        for _ in 0..<2_200 {
            var b = image
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                // Half the mutations hit the header's fields, the rest the directory, areas and rings.
                let at: Int =
                    rng.next() % 2 == 0
                    ? Int(rng.next() % UInt64(min(256, b.count))) : Int(rng.next() % UInt64(b.count))
                switch rng.next() % 5 {
                case 0: b[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b[at] ^= UInt8(1 << (rng.next() % 8))
                case 2: Self.set64(&b, at & ~7, interesting[Int(rng.next() % UInt64(interesting.count))])
                case 3:
                    Self.set32(
                        &b, at & ~3,
                        UInt32(truncatingIfNeeded: interesting[Int(rng.next() % UInt64(interesting.count))]))
                default:
                    if rng.next() % 4 == 0 {
                        b = Array(b.prefix(Int(rng.next() % UInt64(b.count))))
                    } else {
                        Self.set64(&b, at & ~7, rng.next())
                    }
                }
                if b.isEmpty { break }
            }
            switch try Self.attach(b, dir: dir) {
            case .refused: refused += 1
            case .read: read += 1
            }
        }
        #expect(refused + read == 2_200)
        #expect(refused > 100 && read > 100)
    }
}
