import Synchronization

/// The byte layout of a shared-memory region (docs/SharedMemory.md): little-endian, every
/// position an offset from the region's start, no pointers.
///
/// A 4 KiB header page (fields below, viewer slots at 1024), the ring directory, the info area,
/// two snapshot buffers, then the rings, each on its own page.
enum RegionLayout {
    /// "UMCGSHM1" as a little-endian u64 (written last at creation, so a half-made region has none).
    static let magic: UInt64 = 0x3150_4D48_5347_434D
    /// The layout version this umcgtop writes and reads.
    static let version: UInt32 = 1
    /// The header page.
    static let headerBytes = 4096
    /// Region files are named `<prefix><pid>` in their directory.
    static let filePrefix = "umcgtop."
    /// The default directory.
    static let defaultDirectory = "/dev/shm"

    // Header fields (byte offsets).
    static let magicOffset = 0
    static let versionOffset = 8
    static let headerBytesOffset = 12
    static let regionBytesOffset = 16
    static let pidOffset = 24
    static let uidOffset = 28
    static let startTimeOffset = 32
    static let generationOffset = 40
    /// u32: 0 creating, 1 live, 2 closed.
    static let stateOffset = 48
    static let exitStatusOffset = 52
    /// u32: 1 when exitStatus is known.
    static let exitKnownOffset = 56
    /// u64 CLOCK_MONOTONIC ns, written by the publisher thread at least every second.
    static let heartbeatOffset = 64
    static let commandOffset = 72
    static let backendOffset = 88
    static let nameBytes = 16
    static let directoryOffsetOffset = 104
    static let directoryCountOffset = 112
    /// u32: directory entries handed out so far.
    static let ringsUsedOffset = 116
    /// u64: rings asked for after the directory was full.
    static let ringsExhaustedOffset = 120
    static let infoOffsetOffset = 128
    static let infoBytesOffset = 136
    static let snapshotOffsetOffset = 144
    static let snapshotBytesOffset = 152
    /// u32: which snapshot buffer (0 or 1) holds the latest snapshot.
    static let snapshotLatestOffset = 160
    /// u32 shared futex: viewers bump it to ask for a snapshot.
    static let snapshotRequestOffset = 164
    /// u32: the pid of the one viewer that drains the rings (0: none).
    static let consumerLeaseOffset = 168
    static let viewerSlotCountOffset = 172
    static let viewerSlotsOffsetOffset = 176
    /// u64: where the rings start (after the snapshot buffers).
    static let dataOffsetOffset = 184

    /// u8 count, then one u8 per `TraceEventKind` tag: the raw value of the kind whose in-memory
    /// tag (its declaration index, what a ring slot's kind byte holds) is that index.
    static let kindTableOffset = 256
    static let kindTableBytes = 64

    /// Viewer slots: 16 × {u32 pid, u32 reserved, u64 attach time (CLOCK_MONOTONIC ns)} at 1024.
    static let viewerSlotsOffset = 1024
    static let viewerSlotCount = 16
    static let viewerSlotBytes = 16

    /// Ring directory entry: u64 offset, u64 capacity, label[16], u32 in use, i32 producer tid.
    static let directoryEntryBytes = 64
    static let entryOffset = 0
    static let entryCapacity = 8
    static let entryLabel = 16
    static let entryInUse = 32
    static let entryTid = 36

    /// An info or snapshot area: u32 sequence (odd while writing), u32 length, u32 CRC-32C, u32 reserved, payload.
    static let areaHeaderBytes = 16

    /// A ring: TraceRing's control lines, then `capacity` 32-byte slots.
    static let ringControlBytes = 4 * 128
    static let slotBytes = 32
    // TraceEvent's in-memory layout, read field by field by the viewer.
    static let slotTimestamp = 0
    static let slotArg = 8
    static let slotWorker = 16
    static let slotServer = 20
    static let slotCPU = 22
    static let slotKind = 24
    static let slotFlags = 25

    // Limits a viewer enforces on what a region claims.
    static let maxRegionBytes = 16 << 30
    static let maxDirectoryCount = 1024
    static let maxAreaBytes = 64 << 20
    static let maxRingCapacity = 1 << 30

    /// Rounds `n` up to a multiple of `to` (a power of two).
    static func align(_ n: Int, _ to: Int) -> Int { (n + to - 1) & ~(to - 1) }

    /// Bytes of a ring of `capacity` slots.
    static func ringBytes(capacity: Int) -> Int { ringControlBytes + capacity * slotBytes }
}

/// Raw access to a mapped region of known size. Offsets are checked by the callers (the
/// header's against `RegionLayout.headerBytes`, the rest against `size` when validated).
struct RegionMemory: @unchecked Sendable {
    // SAFETY: a view of a mapping that outlives every user (the owning object unmaps it in deinit);
    // the words other threads or processes change are read and written through atomics only.
    let base: UnsafeMutableRawPointer
    let size: Int

    /// A plain little-endian load.
    func u64(_ offset: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian }
    func u32(_ offset: Int) -> UInt32 { base.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
    func i32(_ offset: Int) -> Int32 { Int32(bitPattern: u32(offset)) }
    func u16(_ offset: Int) -> UInt16 { base.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian }
    func u8(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

    /// A plain little-endian store.
    func setU64(_ offset: Int, _ v: UInt64) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
    }
    func setU32(_ offset: Int, _ v: UInt32) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// The atomic u32 at `offset` (4-byte aligned, in bounds).
    func atomic32(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (base + offset).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    /// The atomic u64 at `offset` (8-byte aligned, in bounds).
    func atomic64(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + offset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// A fixed-size NUL-padded name field.
    func name(_ offset: Int, _ count: Int = RegionLayout.nameBytes) -> String {
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: count)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Writes `text` into a fixed-size name field (cut on a character boundary, NUL-padded).
    func setName(_ offset: Int, _ text: String, _ count: Int = RegionLayout.nameBytes) {
        let all = Array(text.utf8)
        var cut = min(all.count, count)
        if cut < all.count { while cut > 0 && all[cut] & 0xC0 == 0x80 { cut -= 1 } }  // whole code points only
        let utf8 = all[0..<cut]
        for i in 0..<count {
            base.storeBytes(of: i < utf8.count ? utf8[i] : 0, toByteOffset: offset + i, as: UInt8.self)
        }
    }

    /// Whether `[offset, offset + length)` lies inside the region (no overflow).
    func contains(_ offset: UInt64, _ length: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(length)
        return !overflow && end <= UInt64(size)
    }
}
