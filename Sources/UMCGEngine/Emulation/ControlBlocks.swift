import Synchronization
import UMCGSystem

/// "No server" / "no watcher" in a 32-bit index field.
let noIndex: UInt32 = .max

/// A worker's control block: 128 bytes (one padded line) of raw memory in the backend's slab.
///
/// Layout (byte offsets): 0 park word · 4 state · 8 server (attached or home) · 12 tid ·
/// 16 worker id · 24 switched-in time (the trace clock: the slice starts there) · 32 flags · 36 last CPU ·
/// 40 watcher (a server in WAIT(next_tid) on this worker) · 44 the CPU of the server that switched to it
/// last (a placement hint in the worker's own line) · 48 WAIT deadline · 56 owning backend ·
/// 64 `ParkCounts` (4 words, the second line: written by the worker thread only).
/// Only the worker thread moves its state out of RUNNING; servers move it into RUNNING (via a
/// transient `switching` value) and timeouts/wakes are posted by the worker thread itself.
@usableFromInline
struct WorkerBlock {
    // SAFETY: points into the backend's worker slab, valid while the backend lives.
    let raw: UnsafeMutableRawPointer

    static let size = 128
    /// Transient state while a server fills in the fields before publishing RUNNING.
    static let switching: UInt32 = 7
    /// A worker whose WAIT returned EINTR and that runs plain code until it resumes the WAIT: no
    /// server may claim it meanwhile (kept with the TIMEOUT bit it had).
    static let interrupted: UInt32 = 8
    /// Transient state while the worker's own thread stops itself (WAIT, PREEMPT, a handoff): it reads
    /// its server and publishes the next state only after leaving RUNNING with one CAS, so a signal
    /// handler that preempts the same thread in between finds it not RUNNING and leaves it alone.
    static let stopping: UInt32 = 9

    /// Flag: an interrupt (the emulation's signal) is pending.
    static let flagInterrupt: UInt32 = 1
    /// Flag: the worker's WAIT returned EINTR and it may resume it with UMCG_WAIT_FLAG_INTERRUPTED.
    static let flagInterruptedWait: UInt32 = 2

    @inline(__always) init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

    @inline(__always) private func u32(_ off: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (raw + off).assumingMemoryBound(to: Atomic<UInt32>.self)
    }
    @inline(__always) private func u64(_ off: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (raw + off).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inline(__always) private func i32(_ off: Int) -> UnsafeMutablePointer<Atomic<Int32>> {
        (raw + off).assumingMemoryBound(to: Atomic<Int32>.self)
    }

    @inline(__always) var parker: Parker { Parker(u32(0), counts: ParkCounts.words(in: raw)) }
    @inline(__always) var state: UnsafeMutablePointer<Atomic<UInt32>> { u32(4) }
    @inline(__always) var server: UnsafeMutablePointer<Atomic<UInt32>> { u32(8) }
    @inline(__always) var tid: UnsafeMutablePointer<Atomic<Int32>> { i32(12) }
    @inline(__always) var id: UnsafeMutablePointer<Atomic<UInt64>> { u64(16) }
    @inline(__always) var switchedAt: UnsafeMutablePointer<Atomic<UInt64>> { u64(24) }
    @inline(__always) var flags: UnsafeMutablePointer<Atomic<UInt32>> { u32(32) }
    @inline(__always) var cpu: UnsafeMutablePointer<Atomic<Int32>> { i32(36) }
    @inline(__always) var watcher: UnsafeMutablePointer<Atomic<UInt32>> { u32(40) }
    /// The CPU its server last ran on, written by the switching server with the other fields it
    /// publishes: the worker sizes its spin from it without reading the server's block, a line the
    /// server writes on every switch (the read would make the server's next store wait for it).
    @inline(__always) var serverCPU: UnsafeMutablePointer<Atomic<Int32>> { i32(44) }
    @inline(__always) var deadline: UnsafeMutablePointer<Atomic<UInt64>> { u64(48) }
    /// The owning backend (an unretained reference), for the thread-exit destructor.
    @inline(__always) var owner: UnsafeMutablePointer<Atomic<UInt64>> { u64(56) }

    /// Binds and zeroes a fresh block.
    static func initialize(_ raw: UnsafeMutableRawPointer) {
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let b = WorkerBlock(raw)
        for off in [0, 4, 8, 32, 40] {
            (raw + off).bindMemory(to: Atomic<UInt32>.self, capacity: 1).initialize(to: Atomic(0))
        }
        for off in [12, 36, 44] {
            (raw + off).bindMemory(to: Atomic<Int32>.self, capacity: 1).initialize(to: Atomic(0))
        }
        for off in [16, 24, 48, 56] {
            (raw + off).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        }
        ParkCounts.initialize(in: raw)
        // Relaxed: not yet published (the tid table's releasing insert publishes it).
        b.server.pointee.store(noIndex, ordering: .relaxed)
        b.watcher.pointee.store(noIndex, ordering: .relaxed)
        b.cpu.pointee.store(-1, ordering: .relaxed)
        b.serverCPU.pointee.store(-1, ordering: .relaxed)
    }
}

/// A server's control block: 128 bytes of raw memory in the backend's server slab.
///
/// Layout: 0 park word · 4 listening (1 while it watches a worker in WAIT(next_tid)) · 8 current worker
/// index · 12 tid · 16 last CPU · 20 flags (interrupt, poked by UMCG_WAKE) · 24 registered ·
/// 28 stop sequence and 32 stop event (`StopSlot`: written by the running worker, the event that
/// ends CTX_SWITCH) · 40 the page of the caller's event buffer last found writable (`page + 1`; 0 none; own thread only) ·
/// 48 the last CTX_SWITCH target (`tid << 32 | worker index`; 0 none; own thread only) ·
/// 56 owning backend (as in `WorkerBlock`, so the thread-exit destructor reads either kind) ·
/// 64 `ParkCounts` (4 words, the second line: written by the server thread only).
@usableFromInline
struct ServerBlock {
    // SAFETY: points into the backend's server slab, valid while the backend lives.
    let raw: UnsafeMutableRawPointer

    static let size = 128
    /// Flag: an interrupt is pending.
    static let flagInterrupt: UInt32 = 1
    /// Flag: UMCG_WAKE poked this idle server.
    static let flagPoked: UInt32 = 2

    @inline(__always) init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

    @inline(__always) private func u32(_ off: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (raw + off).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    @inline(__always) var parker: Parker { Parker(u32(0), counts: ParkCounts.words(in: raw)) }
    @inline(__always) var listening: UnsafeMutablePointer<Atomic<UInt32>> { u32(4) }
    @inline(__always) var current: UnsafeMutablePointer<Atomic<UInt32>> { u32(8) }
    @inline(__always) var tid: UnsafeMutablePointer<Atomic<Int32>> {
        (raw + 12).assumingMemoryBound(to: Atomic<Int32>.self)
    }
    @inline(__always) var cpu: UnsafeMutablePointer<Atomic<Int32>> {
        (raw + 16).assumingMemoryBound(to: Atomic<Int32>.self)
    }
    @inline(__always) var flags: UnsafeMutablePointer<Atomic<UInt32>> { u32(20) }
    @inline(__always) var registered: UnsafeMutablePointer<Atomic<UInt32>> { u32(24) }
    @inline(__always) var stopEvent: UnsafeMutablePointer<Atomic<UInt64>> {
        (raw + 32).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    /// The stop event and the sequence that publishes it.
    @inline(__always) var stopSlot: StopSlot { StopSlot(sequence: u32(28), event: stopEvent) }
    /// `page + 1` of the event buffer page this server last probed writable (0: none). Own thread only.
    @inline(__always) var probedPage: UnsafeMutablePointer<Atomic<UInt64>> {
        (raw + 40).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    /// The last worker this server switched to, `tid << 32 | worker index` (0: none), so a server
    /// switching to the same worker again skips the tid table. A hint: the block it names may have
    /// been reused since, which the claim's tid re-check finds. Own thread only.
    @inline(__always) var lastTarget: UnsafeMutablePointer<Atomic<UInt64>> {
        (raw + 48).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    /// The owning backend (an unretained reference), for the thread-exit destructor.
    @inline(__always) var owner: UnsafeMutablePointer<Atomic<UInt64>> {
        (raw + 56).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Binds and zeroes a block.
    static func initialize(_ raw: UnsafeMutableRawPointer) {
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        for off in [0, 4, 8, 20, 24, 28] {
            (raw + off).bindMemory(to: Atomic<UInt32>.self, capacity: 1).initialize(to: Atomic(0))
        }
        for off in [12, 16] { (raw + off).bindMemory(to: Atomic<Int32>.self, capacity: 1).initialize(to: Atomic(0)) }
        for off in [32, 40, 48, 56] {
            (raw + off).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        }
        ParkCounts.initialize(in: raw)
        let b = ServerBlock(raw)
        // Relaxed: not yet published.
        b.current.pointee.store(noIndex, ordering: .relaxed)
        b.cpu.pointee.store(-1, ordering: .relaxed)
    }
}
