import Synchronization
import UMCGSystem

/// Another process's region, mapped by a viewer: its run info, snapshots and (for the one viewer
/// holding the consumer lease) its trace events.
///
/// The region is untrusted input: the header is validated at `open` (offsets, lengths, counts
/// against the mapped size), every ring directory entry at each `drain`, every area on each
/// read (seqlock + CRC-32C, then the trace file's validating decoders). A bad region gives a
/// one-line `SharedRegionError` or a `.dropped` gap marker, never a trap, a hang or an
/// allocation beyond the sizes validated here. A target that truncates its file while mapped would
/// make reads fault with SIGBUS: the mapping is registered with `RegionGuard`, which turns those
/// pages into zeros; every read checks the guard afterwards and, once a page faulted, the region
/// is `truncated` (`truncation`, `.truncated` state) and nothing read from it is passed on.
///
/// Threading rule: one viewer thread calls everything.
public final class AttachedRegion: @unchecked Sendable {
    // SAFETY: used from one thread (threading rule); the mapping lives until deinit.

    /// How the target is doing.
    public enum TargetState: Sendable, Equatable, CustomStringConvertible {
        /// Publishing, heartbeat fresh.
        case live
        /// The target closed the region (engine stopped or process exited), with its exit status when known.
        case closed(exitStatus: Int32?)
        /// The process is gone (or its pid now names another process) without closing the region.
        case gone
        /// Alive but its heartbeat is older than 3 s.
        case stalled
        /// The target truncated its region file under us (hostile or broken): nothing more is read.
        case truncated

        /// "live", "exited (status N)", "exited", "stalled" or "truncated".
        public var description: String {
            switch self {
            case .live: "live"
            case .closed(let status): status.map { "exited (status \($0))" } ?? "exited"
            case .gone: "exited"
            case .stalled: "stalled"
            case .truncated: "truncated"
            }
        }
    }

    /// The target's pid.
    public let pid: Int32
    /// The region's creation number (differs after the target restarted publishing).
    public let generation: UInt64
    /// The target's command name (/proc/<pid>/comm when it published).
    public let commandName: String
    /// The target's backend name.
    public let backendName: String
    /// The uid owning the region file.
    public let ownerUID: UInt32
    /// The region file.
    public let path: String
    let memory: RegionMemory
    let layout: ValidatedLayout
    /// The mapping's registration with the SIGBUS guard (its `faulted` means truncated).
    let guarded: RegionGuard.Registration
    /// The region file, kept open to notice a truncation that no read has faulted on yet.
    private let file: FileDescriptor
    /// Set when the file was found shorter than the mapping (fstat at `targetState` and `readInfo`).
    private let shrunk = Atomic<Bool>(false)
    private let startTime: UInt64
    /// The target's slot tag → kind table (validated: read once at open).
    let kinds: [TraceEventKind?]
    private var viewerSlot: Int?
    private var detached = false
    /// Whether this viewer took the consumer lease (only then does `detach` give it back).
    private var leased = false
    /// Directory entries skipped because they were invalid, counted at the last drain.
    public internal(set) var rejectedRings = 0
    /// Slots whose kind was unknown, turned into gap markers, since attaching.
    public internal(set) var invalidEvents = 0

    /// Opens and validates process `pid`'s region in `directory` and registers as a viewer.
    /// Throws a one-line error: no region, another user's (without CAP_SYS_PTRACE), invalid.
    public static func open(pid: Int32, directory: String = "/dev/shm") throws(SharedRegionError) -> AttachedRegion {
        let region = try AttachedRegion(pid: pid, directory: directory)
        region.registerViewer()
        return region
    }

    /// Opens without registering a viewer slot (`umcgtop ps`).
    init(pid: Int32, directory: String) throws(SharedRegionError) {
        let path = PublishedRegion.path(pid: pid, directory: directory)
        let owner: UInt32
        do throws(Errno) {
            owner = try FilePath.ownerUID(path)
        } catch .ENOENT {
            throw SharedRegionError(.notFound, "process \(pid) publishes no region (no \(path))")
        } catch {
            throw .system("cannot stat \(path)", error)
        }
        if let reason = AttachPolicy.refusal(pid: pid, ownerUID: owner) {
            throw SharedRegionError(.permission, reason)
        }
        let fd: FileDescriptor
        do throws(Errno) {
            // Not through a symbolic link: /dev/shm is writable by everyone.
            fd = try FileDescriptor.openReadWrite(path, followSymlinks: false)
        } catch .ENOENT {
            throw SharedRegionError(.notFound, "process \(pid) publishes no region (no \(path))")
        } catch .ELOOP {
            throw .invalid(path, "a symbolic link")
        } catch {
            throw .system("cannot open \(path)", error)
        }
        var keepsFile = false
        defer { if !keepsFile { try? fd.close() } }
        let size: Int
        let kind: FileDescriptor.Kind
        let fileOwner: UInt32
        do throws(Errno) {
            (size, kind) = try fd.status()
            fileOwner = try fd.ownerUID()
        } catch {
            throw .system("cannot stat \(path)", error)
        }
        // The file we opened may not be the one we looked at (replaced meanwhile): decide again.
        if fileOwner != owner, let reason = AttachPolicy.refusal(pid: pid, ownerUID: fileOwner) {
            throw SharedRegionError(.permission, reason)
        }
        guard kind == .regular else { throw .invalid(path, "not a regular file") }
        guard size >= RegionLayout.headerBytes else {
            throw .invalid(path, "\(size) bytes is smaller than its \(RegionLayout.headerBytes)-byte header")
        }
        guard size <= RegionLayout.maxRegionBytes else {
            throw .invalid(path, "\(size) bytes is over the \(RegionLayout.maxRegionBytes)-byte limit")
        }
        let base: UnsafeMutableRawPointer
        do throws(Errno) { base = try fd.mapShared(length: size) } catch { throw .system("cannot map \(path)", error) }
        let memory = RegionMemory(base: base, size: size)
        let guarded: RegionGuard.Registration
        do throws(Errno) {
            guarded = try RegionGuard.register(base, length: size)
        } catch {
            Mapping.unmap(base, length: size)
            throw .system("cannot guard the mapping of \(path)", error)
        }
        do throws(SharedRegionError) {
            layout = try ValidatedLayout.validate(memory, pid: pid, path: path)
            if guarded.faulted { throw .truncated(pid) }
        } catch {
            RegionGuard.unregister(guarded)
            Mapping.unmap(base, length: size)
            throw error
        }
        self.guarded = guarded
        file = fd
        self.memory = memory
        self.pid = pid
        self.path = path
        ownerUID = fileOwner
        generation = memory.u64(RegionLayout.generationOffset)
        commandName = memory.name(RegionLayout.commandOffset)
        backendName = memory.name(RegionLayout.backendOffset)
        startTime = memory.u64(RegionLayout.startTimeOffset)
        kinds = memory.readKindTable()
        keepsFile = true
        // Fully initialised: deinit unmaps, unregisters and closes.
        if guarded.faulted { throw .truncated(pid) }
    }

    deinit {
        detach()
        RegionGuard.unregister(guarded)
        Mapping.unmap(memory.base, length: memory.size)
        try? file.close()
    }

    /// Whether the target truncated its region file under us: a read faulted on a page past the new
    /// end (the guard zeroed it), or `fstat` found the file shorter than the mapping.
    var isTruncated: Bool {
        // Relaxed: a flag this viewer sets and reads; the guard's count is read the same way.
        guarded.faulted || shrunk.load(ordering: .relaxed)
    }

    /// Looks at the file's size now (one fstat): a file shorter than the mapping was truncated.
    private func checkSize() {
        guard let (size, _) = try? file.status(), size < memory.size else { return }
        // Relaxed: see isTruncated.
        shrunk.store(true, ordering: .relaxed)
    }

    /// Set once the target truncated its region file under us: every read gives this error, nil,
    /// an empty result or the `.truncated` state from then on.
    public var truncation: SharedRegionError? { isTruncated ? .truncated(pid) : nil }

    /// Takes a free viewer slot (or one of a viewer that is gone); none when all 16 are busy.
    private func registerViewer() {
        let me = UInt32(bitPattern: ProcessIdentity.id)
        for i in 0..<RegionLayout.viewerSlotCount {
            let slot = RegionLayout.viewerSlotsOffset + i * RegionLayout.viewerSlotBytes
            let word = memory.atomic32(slot)
            // Relaxed: the CAS below decides.
            let current = word.pointee.load(ordering: .relaxed)
            if current != 0 && ProcessIdentity.isAlive(Int32(bitPattern: current)) { continue }
            // AcquiringAndReleasing: viewers race for the slot; the winner writes its attach time.
            if word.pointee.compareExchange(expected: current, desired: me, ordering: .acquiringAndReleasing).exchanged
            {
                memory.setU64(slot + 8, SystemClock.monotonicNanos())
                viewerSlot = i
                return
            }
        }
    }

    /// Gives back the viewer slot and the consumer lease. Idempotent.
    public func detach() {
        if detached { return }
        detached = true
        // A truncated region's words are zero pages of ours now: nothing to give back.
        if isTruncated { return }
        let me = UInt32(bitPattern: ProcessIdentity.id)
        if let i = viewerSlot {
            let word = memory.atomic32(RegionLayout.viewerSlotsOffset + i * RegionLayout.viewerSlotBytes)
            // Releasing: pairs with the next viewer's CAS on the slot.
            _ = word.pointee.compareExchange(expected: me, desired: 0, ordering: .releasing)
            viewerSlot = nil
        }
        if leased {
            // Releasing: pairs with the next viewer's acquiring CAS; our readIndex stores are done.
            _ = lease.pointee.compareExchange(expected: me, desired: 0, ordering: .releasing)
            leased = false
        }
    }

    private var lease: UnsafeMutablePointer<Atomic<UInt32>> { memory.atomic32(RegionLayout.consumerLeaseOffset) }

    /// Becomes the one viewer that drains the rings: true when the lease was free, held by a
    /// viewer that is gone, or already ours.
    public func acquireConsumer() -> Bool {
        if isTruncated { return false }
        let me = UInt32(bitPattern: ProcessIdentity.id)
        for _ in 0..<4 {
            // Acquiring: pairs with the previous holder's releasing store; its readIndex stores are visible.
            let holder = lease.pointee.load(ordering: .acquiring)
            if holder == me {
                leased = true
                return true
            }
            if holder != 0 && ProcessIdentity.isAlive(Int32(bitPattern: holder)) { return false }
            // AcquiringAndReleasing: viewers race for the lease.
            let won = lease.pointee.compareExchange(expected: holder, desired: me, ordering: .acquiringAndReleasing)
            if won.exchanged {
                leased = true
                return true
            }
        }
        return false
    }

    /// The pid of the viewer draining the rings now (nil: none).
    public var consumerPID: Int32? {
        // Relaxed: for display.
        let holder = lease.pointee.load(ordering: .relaxed)
        return holder == 0 ? nil : Int32(bitPattern: holder)
    }

    /// The target's run facts (entities with names and tids): nil when none was published yet
    /// or every read was torn; throws when consistent bytes do not decode.
    public func readInfo() throws(SharedRegionError) -> RunInfo? {
        let area = SeqlockArea(memory: memory, offset: layout.info, bytes: layout.infoBytes)
        checkSize()
        let result = area.read()
        if let truncation { throw truncation }
        switch result {
        case .empty, .torn: return nil
        case .invalid(let reason): throw .invalid(path, reason)
        case .payload(let bytes): return try Self.decodeInfo(bytes, path: path)
        }
    }

    /// Decodes an info area's payload (a trace file header).
    static func decodeInfo(_ bytes: [UInt8], path: String) throws(SharedRegionError) -> RunInfo {
        do throws(TraceFileError) {
            let (_, length) = try RunInfo.decodeFilePrefix(
                Array(bytes.prefix(TraceFormat.fileHeaderFixedSize)), fileSize: bytes.count)
            let start = TraceFormat.fileHeaderFixedSize
            guard bytes.count == start + length + 4 else {
                throw TraceFileError.invalid(offset: 12, reason: "info length \(length) does not match its area")
            }
            return try RunInfo.decodeHeaderPayload(Array(bytes[start..<(start + length)]))
        } catch {
            throw .invalid(path, "run info: \(error)")
        }
    }

    /// The latest snapshot of the lossless counters: nil when none was published yet, the reads
    /// were torn ("no snapshot this tick") or its bytes do not decode.
    public func latestSnapshot() -> Snapshot? {
        // Acquiring: pairs with the publisher's releasing store after it finished the buffer.
        let latest = Int(memory.atomic32(RegionLayout.snapshotLatestOffset).pointee.load(ordering: .acquiring) & 1)
        let area = SeqlockArea(
            memory: memory, offset: layout.snapshot + latest * layout.snapshotBytes, bytes: layout.snapshotBytes)
        guard case .payload(let bytes) = area.read(), !isTruncated else { return nil }
        return try? Snapshot.decodeKeyframe(bytes, base: 0)
    }

    /// Asks the target's publisher for a new snapshot (bumps the request word, wakes it).
    public func requestSnapshot() {
        if isTruncated { return }
        let word = memory.atomic32(RegionLayout.snapshotRequestOffset)
        // Relaxed: the publisher only compares it with the value it served; the futex wakes it.
        word.pointee.add(1, ordering: .relaxed)
        _ = try? Futex.wakeShared(Futex.address(of: word), count: 1)
    }

    /// How the target is doing now.
    public var targetState: TargetState {
        // Acquiring: pairs with close's releasing store; the exit status is written.
        checkSize()
        let state = memory.atomic32(RegionLayout.stateOffset).pointee.load(ordering: .acquiring)
        if isTruncated { return .truncated }
        if state == 2 {
            let known = memory.u32(RegionLayout.exitKnownOffset) == 1
            let status = memory.i32(RegionLayout.exitStatusOffset)
            if isTruncated { return .truncated }
            return .closed(exitStatus: known ? status : nil)
        }
        guard let now = ProcessIdentity.startTime(of: pid), startTime == 0 || now == startTime else { return .gone }
        // Relaxed: a liveness hint.
        let beat = memory.atomic64(RegionLayout.heartbeatOffset).pointee.load(ordering: .relaxed)
        if isTruncated { return .truncated }
        let clock = SystemClock.monotonicNanos()
        if clock > beat && clock - beat > 3_000_000_000 { return .stalled }
        return state == 1 ? .live : .stalled
    }

    /// Viewers registered now.
    public var viewerCount: Int { memory.liveViewerCount() }

    /// Rings the target asked for after its directory was full.
    public var ringsExhausted: UInt64 {
        // Relaxed: a statistic.
        memory.atomic64(RegionLayout.ringsExhaustedOffset).pointee.load(ordering: .relaxed)
    }
}
