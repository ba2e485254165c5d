import Synchronization
import UMCGSystem

/// Rows of 64-bit atomics in raw, 128-byte-aligned memory: the engine's per-worker and per-server
/// records (lossless counters, timestamps, flags). Every field is an `Atomic<UInt64>`.
///
/// Threading rule: any thread may read or write any field; each access names its ordering.
/// The memory is freed by `deallocate` once no thread uses it (the engine's deinit).
struct CounterSlab {
    // SAFETY: `base` comes from `allocate`; rows are never moved; freed once in `deallocate`.
    let base: UnsafeMutablePointer<Atomic<UInt64>>
    let fieldsPerRow: Int
    let rows: Int

    /// Allocates `rows` rows of `fieldsPerRow` zeroed atomics (fieldsPerRow a multiple of 16 keeps rows on 128 B).
    static func allocate(rows: Int, fieldsPerRow: Int) -> CounterSlab {
        let n = max(1, rows) * fieldsPerRow
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 8, alignment: 128)
        let p = raw.bindMemory(to: Atomic<UInt64>.self, capacity: n)
        for i in 0..<n { (p + i).initialize(to: Atomic(0)) }
        return CounterSlab(base: p, fieldsPerRow: fieldsPerRow, rows: rows)
    }

    func deallocate() { UnsafeMutableRawPointer(base).deallocate() }

    /// Bytes per row.
    var rowBytes: Int { fieldsPerRow * 8 }

    @inline(__always)
    func field(_ row: Int, _ f: Int) -> UnsafeMutablePointer<Atomic<UInt64>> { base + row * fieldsPerRow + f }

    /// Relaxed load: counters and hints; ordering-sensitive fields use `field(_:_:)` directly.
    @inline(__always)
    func get(_ row: Int, _ f: Int) -> UInt64 {
        // Relaxed: statistics / values published by a separate release-acquire pair.
        field(row, f).pointee.load(ordering: .relaxed)
    }

    @inline(__always)
    func set(_ row: Int, _ f: Int, _ v: UInt64) {
        // Relaxed: see `get`.
        field(row, f).pointee.store(v, ordering: .relaxed)
    }

    @inline(__always)
    func add(_ row: Int, _ f: Int, _ v: UInt64) {
        // Relaxed: a lossless counter; atomic RMW so two servers never lose an increment.
        field(row, f).pointee.wrappingAdd(v, ordering: .relaxed)
    }
}

/// Field numbers of a worker row (32 fields = 256 bytes). 0–15 are written by the worker thread,
/// 16–31 by servers.
enum WorkerField {
    static let tid = 0
    /// 1 while the worker sits in some server's run queue (prevents double entries).
    static let queued = 1
    static let blockedAt = 2
    static let wakeAt = 3
    static let blockReason = 4
    /// 1 while its WAIT has a deadline (the server waits for TIMEOUT instead of requeueing).
    static let timedWait = 5
    /// Worker id + 1 it handed its server to, 0 = none.
    static let handoffTarget = 6
    /// Server index + 1 whose CPU the worker thread is pinned to, 0 = none.
    static let pinnedServer = 7
    static let failed = 8
    /// When it handed its server to another worker (CLOCK_MONOTONIC).
    static let handoffAt = 9
    /// An address near its stack pointer when it last called into the backend to wait (the
    /// deepest part of its stack a switch to it touches; see `ServerScheduler.prefetchNext`).
    static let parkSP = 10
    /// The top of its stack (the pool's end of its stack, or near the thread's first frame).
    static let stackTop = 11

    static let state = 16
    static let server = 17
    static let switches = 18
    static let blocks = 19
    static let wakes = 20
    static let waits = 21
    static let preemptions = 22
    static let timeouts = 23
    static let runNanos = 24
    static let runnableNanos = 25
    static let blockedNanos = 26
    static let switchedInAt = 27
    static let runnableSince = 28
    static let registered = 29

    static let count = 32
}

/// Field numbers of a server row (16 fields = 128 bytes of counters, then the handoff log).
enum ServerField {
    static let state = 0
    /// Current worker + 1, 0 = none.
    static let current = 1
    static let switches = 2
    static let busyNanos = 3
    static let idleNanos = 4
    static let events = 5
    static let tid = 6
    /// CPU + 1, 0 = unknown.
    static let cpu = 7
    /// CTX_SWITCH attempts refused with EINVAL (a stale run-queue entry).
    static let staleSwitches = 8
    /// Runnable workers this server moved to a shorter run queue of another server.
    static let migrations = 9
    /// Direct worker-to-worker handoffs accounted (see `HandoffLog`).
    static let handoffs = 10
    /// Entries in the server's `HandoffLog` (written by the worker running on the server).
    static let handoffCount = 16
    /// First field of the `HandoffLog` entries (two fields each), on lines of their own.
    static let handoffLog = 24

    /// Rounded up to a multiple of 16 fields, so every server row starts on its own 128-byte pair of lines.
    static let count = (handoffLog + 2 * HandoffLog.capacity + 15) / 16 * 16
}
