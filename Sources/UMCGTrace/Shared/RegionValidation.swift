/// The checked layout of a mapped region: every offset, length and count of its header
/// validated against the mapped size before anything else reads the region.
struct ValidatedLayout: Equatable {
    var directory: Int
    var directoryCount: Int
    var info: Int
    var infoBytes: Int
    var snapshot: Int
    var snapshotBytes: Int
    var data: Int

    /// Checks the header of `memory` (whose `size` is the file's size, at least the header page).
    /// `pid` is the process the file is named for. Throws one line saying what is wrong.
    static func validate(_ memory: RegionMemory, pid: Int32, path: String) throws(SharedRegionError) -> ValidatedLayout
    {
        func bad(_ reason: String) -> SharedRegionError { .invalid(path, reason) }
        guard memory.size >= RegionLayout.headerBytes else {
            throw bad("\(memory.size) bytes is smaller than its \(RegionLayout.headerBytes)-byte header")
        }
        // Acquiring: pairs with the creator's releasing store of the magic (written last).
        let magic = UInt64(littleEndian: memory.atomic64(RegionLayout.magicOffset).pointee.load(ordering: .acquiring))
        guard magic == RegionLayout.magic else { throw bad("bad magic (not UMCGSHM1, or still being created)") }
        let version = memory.u32(RegionLayout.versionOffset)
        guard version == RegionLayout.version else {
            throw bad("layout version \(version) (this umcgtop reads \(RegionLayout.version))")
        }
        let headerBytes = memory.u32(RegionLayout.headerBytesOffset)
        guard headerBytes == UInt32(RegionLayout.headerBytes) else { throw bad("header size \(headerBytes)") }
        let claimed = memory.u64(RegionLayout.regionBytesOffset)
        guard claimed == UInt64(memory.size) else {
            throw bad("it claims \(claimed) bytes but the file has \(memory.size)")
        }
        let owner = memory.i32(RegionLayout.pidOffset)
        guard owner == pid else { throw bad("it names process \(owner), not \(pid)") }
        guard memory.u32(RegionLayout.viewerSlotCountOffset) == UInt32(RegionLayout.viewerSlotCount),
            memory.u64(RegionLayout.viewerSlotsOffsetOffset) == UInt64(RegionLayout.viewerSlotsOffset)
        else { throw bad("unexpected viewer slots") }

        let directory = memory.u64(RegionLayout.directoryOffsetOffset)
        let count = memory.u32(RegionLayout.directoryCountOffset)
        guard count <= UInt32(RegionLayout.maxDirectoryCount) else { throw bad("ring directory of \(count) entries") }
        let info = memory.u64(RegionLayout.infoOffsetOffset)
        let infoBytes = memory.u64(RegionLayout.infoBytesOffset)
        let snapshot = memory.u64(RegionLayout.snapshotOffsetOffset)
        let snapshotBytes = memory.u64(RegionLayout.snapshotBytesOffset)
        let data = memory.u64(RegionLayout.dataOffsetOffset)
        let minArea = UInt64(RegionLayout.areaHeaderBytes)
        let maxArea = UInt64(RegionLayout.maxAreaBytes)
        guard infoBytes >= minArea, infoBytes <= maxArea, snapshotBytes >= minArea, snapshotBytes <= maxArea,
            infoBytes % 8 == 0, snapshotBytes % 8 == 0
        else { throw bad("area sizes \(infoBytes) and \(snapshotBytes)") }
        // Every area: aligned, inside the region, after the header page, and apart from the others.
        let areas: [(String, UInt64, UInt64)] = [
            ("ring directory", directory, UInt64(count) * UInt64(RegionLayout.directoryEntryBytes)),
            ("info area", info, infoBytes),
            ("snapshot buffers", snapshot, 2 * snapshotBytes),
        ]
        for (name, offset, length) in areas {
            guard offset % 8 == 0 else { throw bad("\(name) at unaligned offset \(offset)") }
            guard offset >= UInt64(RegionLayout.headerBytes) else {
                throw bad("\(name) at \(offset) overlaps the header")
            }
            guard memory.contains(offset, length) else {
                throw bad("\(name) at \(offset) (\(length) bytes) lies outside the \(memory.size)-byte region")
            }
        }
        for i in 0..<areas.count {
            for j in (i + 1)..<areas.count {
                let (a, b) = (areas[i], areas[j])
                if a.1 < b.1 + b.2 && b.1 < a.1 + a.2 && a.2 > 0 && b.2 > 0 {
                    throw bad("\(a.0) and \(b.0) overlap")
                }
            }
        }
        let end = areas.map { $0.1 + $0.2 }.max() ?? UInt64(RegionLayout.headerBytes)
        guard data >= end, data <= UInt64(memory.size), data % 128 == 0 else {
            throw bad("ring data at \(data) (areas end at \(end), region \(memory.size) bytes)")
        }
        return ValidatedLayout(
            directory: Int(directory), directoryCount: Int(count), info: Int(info), infoBytes: Int(infoBytes),
            snapshot: Int(snapshot), snapshotBytes: Int(snapshotBytes), data: Int(data))
    }
}

/// One ring of a region as a viewer sees it after checking its directory entry.
struct ValidatedRing: Equatable {
    /// Directory index.
    var index: Int
    var offset: Int
    var capacity: Int
    var label: String
    var tid: Int32

    var end: Int { offset + RegionLayout.ringBytes(capacity: capacity) }

    /// The in-use entries of the directory whose ring lies in the data area, aligned, with a
    /// power-of-two capacity, not overlapping an earlier ring. `rejected` counts the others.
    static func scan(_ memory: RegionMemory, _ layout: ValidatedLayout, rejected: inout Int) -> [ValidatedRing] {
        // Acquiring: pairs with makeRing's releasing store of the count.
        let used = Int(
            min(
                memory.atomic32(RegionLayout.ringsUsedOffset).pointee.load(ordering: .acquiring),
                UInt32(layout.directoryCount)))
        var rings: [ValidatedRing] = []
        rings.reserveCapacity(used)
        for i in 0..<used {
            let entry = layout.directory + i * RegionLayout.directoryEntryBytes
            // Acquiring: pairs with makeRing's releasing store of the flag (the entry is written).
            guard memory.atomic32(entry + RegionLayout.entryInUse).pointee.load(ordering: .acquiring) == 1 else {
                continue
            }
            let offset = memory.u64(entry + RegionLayout.entryOffset)
            let capacity = memory.u64(entry + RegionLayout.entryCapacity)
            guard capacity >= 2, capacity <= UInt64(RegionLayout.maxRingCapacity), capacity & (capacity - 1) == 0,
                offset >= UInt64(layout.data), offset % 128 == 0,
                memory.contains(offset, UInt64(RegionLayout.ringBytes(capacity: Int(capacity))))
            else {
                rejected += 1
                continue
            }
            let ring = ValidatedRing(
                index: i, offset: Int(offset), capacity: Int(capacity),
                label: memory.name(entry + RegionLayout.entryLabel), tid: memory.i32(entry + RegionLayout.entryTid))
            if rings.contains(where: { $0.offset < ring.end && ring.offset < $0.end }) {
                rejected += 1
                continue
            }
            rings.append(ring)
        }
        return rings
    }
}
