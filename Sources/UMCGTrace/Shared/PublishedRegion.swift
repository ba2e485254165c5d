import Synchronization
import UMCGSystem

/// This process's shared-memory region (`/dev/shm/umcgtop.<pid>`): its trace rings, run info,
/// snapshots and heartbeat, for a viewer in another process (`umcgtop --attach`).
///
/// Created 0600 with O_EXCL, sized once, mapped shared; `close` marks it closed and unlinks it.
/// The mapping itself stays until the region and every ring made in it are gone, so producers
/// may push after `close` (nobody reads those events).
///
/// Threading rule: `makeRing` from any thread (a lock; not a hot path); `publish(info:)`,
/// `publish(snapshot:)` and `heartbeat` from one publishing thread at a time (the
/// `RegionPublisher`); `close` from one controlling thread.
public final class PublishedRegion: @unchecked Sendable {
    // SAFETY: `memory` is a mapping owned by this object (unmapped in deinit, after every ring that
    // keeps it alive is gone); the header words viewers change are atomics; the directory is
    // appended under `lock`; the areas are written by one publisher thread (threading rule).

    /// How to size and where to put a region.
    public struct Options: Sendable {
        /// Ring directory entries (rings that can be made).
        public var ringCount: Int
        /// Slots per ring (rounded up to a power of two, at least 2).
        public var ringCapacity: Int
        /// Bytes for the encoded run info.
        public var infoBytes: Int
        /// Bytes for one encoded snapshot (there are two buffers).
        public var snapshotBytes: Int
        /// The directory of region files.
        public var directory: String
        /// The backend's name, shown by `umcgtop ps`.
        public var backend: String

        /// Creates options.
        public init(
            ringCount: Int, ringCapacity: Int = 1 << 16, infoBytes: Int = 64 << 10, snapshotBytes: Int = 64 << 10,
            directory: String = "/dev/shm", backend: String = ""
        ) {
            self.ringCount = ringCount
            self.ringCapacity = ringCapacity
            self.infoBytes = infoBytes
            self.snapshotBytes = snapshotBytes
            self.directory = directory
            self.backend = backend
        }
    }

    /// Whether the environment asks for publishing (`UMCGTOP_PUBLISH=1`).
    public static var requestedByEnvironment: Bool { ProcessIdentity.environment("UMCGTOP_PUBLISH") == "1" }

    /// The region file.
    public let path: String
    /// This creation's random non-zero number (a viewer tells restarts apart by it).
    public let generation: UInt64
    /// Slots per ring.
    public let ringCapacity: Int
    let memory: RegionMemory
    let layout: Areas
    private let lock = ThreadLock<State>(State())

    private struct State {
        var fd: FileDescriptor?
        var rings = 0
        var closed = false
    }

    /// Where the areas are (offsets from the region start).
    struct Areas {
        var directory: Int
        var directoryCount: Int
        var info: Int
        var infoBytes: Int
        var snapshot: Int
        var snapshotBytes: Int
        var data: Int
        var ringStride: Int
        var total: Int
    }

    /// The path of process `pid`'s region in `directory`.
    public static func path(pid: Int32, directory: String = "/dev/shm") -> String {
        "\(directory)/\(RegionLayout.filePrefix)\(pid)"
    }

    /// Creates this process's region (removing a stale one left by an earlier process with our pid).
    /// Throws a one-line `SharedRegionError` (no directory, no space, a live region of this process).
    public static func create(_ options: Options) throws(SharedRegionError) -> PublishedRegion {
        var capacity = 2
        while capacity < min(max(2, options.ringCapacity), RegionLayout.maxRingCapacity) { capacity <<= 1 }
        let areas = try layout(options, capacity: capacity)
        let pid = ProcessIdentity.id
        let path = Self.path(pid: pid, directory: options.directory)
        let fd = try openExclusive(path, pid: pid)
        do throws(Errno) {
            try fd.truncate(to: areas.total)
            // Reserved now: a full /dev/shm fails here, not with SIGBUS in a producer later.
            try fd.allocate(length: areas.total)
            let base = try fd.mapShared(length: areas.total)
            return PublishedRegion(
                path: path, fd: fd, memory: RegionMemory(base: base, size: areas.total), areas: areas,
                capacity: capacity, options: options, pid: pid)
        } catch {
            try? fd.close()
            try? FilePath.remove(path)
            throw .system("cannot size or map \(path)", error)
        }
    }

    /// The offsets of a region for `options`, checked against the limits a viewer enforces.
    static func layout(_ options: Options, capacity: Int) throws(SharedRegionError) -> Areas {
        guard options.ringCount >= 0, options.ringCount <= RegionLayout.maxDirectoryCount else {
            throw SharedRegionError(.invalid, "a region holds at most \(RegionLayout.maxDirectoryCount) rings")
        }
        let page = 4096
        let infoBytes = RegionLayout.align(max(options.infoBytes, 1024) + RegionLayout.areaHeaderBytes, 64)
        let snapshotBytes = RegionLayout.align(max(options.snapshotBytes, 1024) + RegionLayout.areaHeaderBytes, 64)
        guard infoBytes <= RegionLayout.maxAreaBytes, snapshotBytes <= RegionLayout.maxAreaBytes else {
            throw SharedRegionError(.invalid, "info and snapshot areas are at most \(RegionLayout.maxAreaBytes) bytes")
        }
        let directory = RegionLayout.headerBytes
        let info = RegionLayout.align(directory + options.ringCount * RegionLayout.directoryEntryBytes, 64)
        let snapshot = info + infoBytes
        let data = RegionLayout.align(snapshot + 2 * snapshotBytes, page)
        let stride = RegionLayout.align(RegionLayout.ringBytes(capacity: capacity), page)
        let total = data + options.ringCount * stride
        guard total <= RegionLayout.maxRegionBytes else {
            throw SharedRegionError(
                .invalid, "a region of \(total) bytes is over the \(RegionLayout.maxRegionBytes) limit")
        }
        return Areas(
            directory: directory, directoryCount: options.ringCount, info: info, infoBytes: infoBytes,
            snapshot: snapshot, snapshotBytes: snapshotBytes, data: data, ringStride: stride, total: total)
    }

    /// Opens `path` with O_CREAT|O_EXCL, 0600; an existing file is removed first when stale.
    private static func openExclusive(_ path: String, pid: Int32) throws(SharedRegionError) -> FileDescriptor {
        for attempt in 0..<2 {
            do throws(Errno) {
                return try FileDescriptor.openReadWrite(path, create: .exclusive, permissions: 0o600)
            } catch .EEXIST where attempt == 0 {
                // Ours only if its header names this very process (pid and start time).
                if RegionStaleness.isLiveRegionOfThisProcess(path) {
                    throw SharedRegionError(.exists, "\(path) exists: this process already publishes a region")
                }
                try? FilePath.remove(path)
            } catch {
                throw .system("cannot create \(path)", error)
            }
        }
        throw SharedRegionError(.exists, "\(path) exists and could not be removed")
    }

    private init(
        path: String, fd: FileDescriptor, memory: RegionMemory, areas: Areas, capacity: Int, options: Options,
        pid: Int32
    ) {
        self.path = path
        self.memory = memory
        self.layout = areas
        ringCapacity = capacity
        var seed = SplitMix64(seed: SystemClock.monotonicNanos() ^ UInt64(UInt32(bitPattern: pid)) << 32)
        var generation = seed.next()
        if generation == 0 { generation = 1 }
        self.generation = generation
        lock.withLock { $0.fd = fd }
        let m = memory
        m.setU32(RegionLayout.versionOffset, RegionLayout.version)
        m.setU32(RegionLayout.headerBytesOffset, UInt32(RegionLayout.headerBytes))
        m.setU64(RegionLayout.regionBytesOffset, UInt64(areas.total))
        m.setU32(RegionLayout.pidOffset, UInt32(bitPattern: pid))
        m.setU32(RegionLayout.uidOffset, ProcessIdentity.effectiveUserID)
        m.setU64(RegionLayout.startTimeOffset, ProcessIdentity.startTime(of: pid) ?? 0)
        m.setU64(RegionLayout.generationOffset, generation)
        m.setName(RegionLayout.commandOffset, ProcessIdentity.commandName)
        m.setName(RegionLayout.backendOffset, options.backend)
        m.setU64(RegionLayout.directoryOffsetOffset, UInt64(areas.directory))
        m.setU32(RegionLayout.directoryCountOffset, UInt32(areas.directoryCount))
        m.setU64(RegionLayout.infoOffsetOffset, UInt64(areas.info))
        m.setU64(RegionLayout.infoBytesOffset, UInt64(areas.infoBytes))
        m.setU64(RegionLayout.snapshotOffsetOffset, UInt64(areas.snapshot))
        m.setU64(RegionLayout.snapshotBytesOffset, UInt64(areas.snapshotBytes))
        m.setU32(RegionLayout.viewerSlotCountOffset, UInt32(RegionLayout.viewerSlotCount))
        m.setU64(RegionLayout.viewerSlotsOffsetOffset, UInt64(RegionLayout.viewerSlotsOffset))
        m.setU64(RegionLayout.dataOffsetOffset, UInt64(areas.data))
        m.writeKindTable()
        m.setU64(RegionLayout.heartbeatOffset, SystemClock.monotonicNanos())
        m.setU32(RegionLayout.stateOffset, 1)
        // Releasing: pairs with a viewer's acquiring load of the magic; every field above is written.
        m.atomic64(RegionLayout.magicOffset).pointee.store(RegionLayout.magic.littleEndian, ordering: .releasing)
    }

    deinit {
        close(exitStatus: nil)
        Mapping.unmap(memory.base, length: memory.size)
    }

    /// Makes a ring in the next directory entry, labelled `label` (16 bytes shown) for producer
    /// thread `tid` (0 if not known yet); nil when the directory is full (counted in the header).
    public func makeRing(label: String, tid: Int32 = 0) -> TraceRing? {
        let index: Int? = lock.withLock { state in
            guard state.rings < layout.directoryCount else { return nil }
            state.rings += 1
            return state.rings - 1
        }
        guard let index else {
            // Relaxed: a statistic for viewers.
            memory.atomic64(RegionLayout.ringsExhaustedOffset).pointee.add(1, ordering: .relaxed)
            return nil
        }
        let offset = layout.data + index * layout.ringStride
        let ring = TraceRing(externalMemory: memory.base + offset, capacity: ringCapacity, label: label, owner: self)
        let entry = layout.directory + index * RegionLayout.directoryEntryBytes
        memory.setU64(entry + RegionLayout.entryOffset, UInt64(offset))
        memory.setU64(entry + RegionLayout.entryCapacity, UInt64(ringCapacity))
        memory.setName(entry + RegionLayout.entryLabel, label)
        memory.setU32(entry + RegionLayout.entryTid, UInt32(bitPattern: tid))
        // Releasing: pairs with the viewer's acquiring load of the in-use flag; the entry and the
        // ring's zeroed indices are written.
        memory.atomic32(entry + RegionLayout.entryInUse).pointee.store(1, ordering: .releasing)
        // Releasing: pairs with the viewer's acquiring load of the count (entries below it are set).
        memory.atomic32(RegionLayout.ringsUsedOffset).pointee.store(UInt32(index + 1), ordering: .releasing)
        return ring
    }

    /// Publishes the run facts (entities with names and tids) for viewers. Publisher thread only.
    /// Returns false when they do not fit the info area.
    @discardableResult
    public func publish(info: RunInfo) -> Bool {
        SeqlockArea(memory: memory, offset: layout.info, bytes: layout.infoBytes).write(info.encodedFileHeader())
    }

    /// Publishes a snapshot of the lossless counters into the buffer viewers are not reading.
    /// Publisher thread only. Returns false when it does not fit a snapshot buffer.
    @discardableResult
    public func publish(snapshot: Snapshot) -> Bool {
        let latestWord = memory.atomic32(RegionLayout.snapshotLatestOffset)
        // Relaxed: only this thread writes it.
        let next = 1 - (latestWord.pointee.load(ordering: .relaxed) & 1)
        let area = SeqlockArea(
            memory: memory, offset: layout.snapshot + Int(next) * layout.snapshotBytes, bytes: layout.snapshotBytes)
        guard area.write(snapshot.encodedKeyframe()) else { return false }
        // Releasing: pairs with the viewer's acquiring load; the buffer is complete.
        latestWord.pointee.store(next, ordering: .releasing)
        return true
    }

    /// Writes the heartbeat (CLOCK_MONOTONIC now). Publisher thread only.
    public func heartbeat() {
        // Relaxed: a liveness hint; viewers only compare it with their clock.
        memory.atomic64(RegionLayout.heartbeatOffset).pointee.store(SystemClock.monotonicNanos(), ordering: .relaxed)
    }

    /// The snapshot request word viewers bump (a shared futex).
    var requestWord: UnsafeMutablePointer<Atomic<UInt32>> { memory.atomic32(RegionLayout.snapshotRequestOffset) }

    /// Viewers registered now (non-zero viewer slots).
    public var viewerCount: Int { memory.liveViewerCount() }

    /// Rings made so far.
    public var ringCount: Int { lock.withLock { $0.rings } }

    /// Whether `close` was called.
    public var isClosed: Bool { lock.withLock { $0.closed } }

    /// Marks the region closed (with `exitStatus` when known) and removes its file; viewers still
    /// mapping it see "closed". Idempotent.
    public func close(exitStatus: Int32?) {
        let fd: FileDescriptor? = lock.withLock { state in
            if state.closed { return nil }
            state.closed = true
            defer { state.fd = nil }
            return state.fd
        }
        guard let fd else { return }
        memory.setU32(RegionLayout.exitStatusOffset, UInt32(bitPattern: exitStatus ?? 0))
        memory.setU32(RegionLayout.exitKnownOffset, exitStatus == nil ? 0 : 1)
        // Releasing: pairs with the viewer's acquiring load of the state; the exit status is written.
        memory.atomic32(RegionLayout.stateOffset).pointee.store(2, ordering: .releasing)
        try? FilePath.remove(path)
        try? fd.close()
    }

    /// Removes the region files in `directory` whose process is gone (or whose pid now names
    /// another process), owned by us; returns how many were removed.
    @discardableResult
    public static func removeStale(directory: String = "/dev/shm") -> Int {
        RegionStaleness.removeStale(directory: directory)
    }
}
