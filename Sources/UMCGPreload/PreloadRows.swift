import Synchronization

/// Rows of 64-bit atomics in raw, 128-byte-aligned memory: the preload's per-worker and per-server
/// counters and timestamps (`WorkerRow`, `ServerRow`).
///
/// Threading rule: a row has one writer, its worker's or server's own thread (the registry lock of
/// the backend orders the threads that reuse a slot), so a counter is bumped with a relaxed load and
/// store, not a locked read-modify-write, and stays lossless; any thread (the publisher) may read
/// any field with a relaxed load at any time. Never freed: the tracer lives as long as the process.
struct PreloadRows: @unchecked Sendable {
    // SAFETY: `base` is allocated once in init, never moved or freed; accesses are atomic.
    let base: UnsafeMutablePointer<Atomic<UInt64>>
    let fields: Int
    let rows: Int

    /// Allocates `rows` rows of `fields` zeroed atomics (`fields` a multiple of 16: rows on 128 B).
    init(rows: Int, fields: Int) {
        let n = max(1, rows) * fields
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 8, alignment: 128)
        base = raw.bindMemory(to: Atomic<UInt64>.self, capacity: n)
        for i in 0..<n { (base + i).initialize(to: Atomic(0)) }
        self.fields = fields
        self.rows = rows
    }

    /// Zeroes every field (a fork child, which has one thread).
    func zero() {
        for i in 0..<(max(1, rows) * fields) {
            // Relaxed: no other thread exists.
            base[i].store(0, ordering: .relaxed)
        }
    }

    /// Row `index` (in range: the caller checks).
    @inline(__always)
    func row(_ index: Int) -> Row { Row(base: base + index &* fields) }

    /// One row's fields.
    struct Row {
        // SAFETY: points into the rows' memory, valid for the process's life.
        let base: UnsafeMutablePointer<Atomic<UInt64>>

        @inline(__always)
        func get(_ field: Int) -> UInt64 {
            // Relaxed: counters and timestamps; nothing is published through them.
            base[field].load(ordering: .relaxed)
        }

        @inline(__always)
        func set(_ field: Int, _ value: UInt64) {
            // Relaxed: see `get`; the publisher reads it whenever it likes.
            base[field].store(value, ordering: .relaxed)
        }

        /// Adds `value`: a load and a store, lossless because the row's thread is its only writer.
        @inline(__always)
        func add(_ field: Int, _ value: UInt64) {
            // Relaxed: single writer (the row's thread); readers see the old or the new total.
            base[field].store(base[field].load(ordering: .relaxed) &+ value, ordering: .relaxed)
        }

        /// Adds 1 (see `add`).
        @inline(__always)
        func bump(_ field: Int) { add(field, 1) }

        /// Stores up to 15 bytes of `name` in the two fields from `field` (NUL-padded).
        func setName(_ name: String, at field: Int) {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { out in
                for (i, byte) in name.utf8.prefix(15).enumerated() { out[i] = byte }
            }
            set(field, words.0)
            set(field + 1, words.1)
        }

        /// The name stored by `setName(_:at:)` ("" if none).
        func name(at field: Int) -> String {
            var words = (get(field), get(field + 1))
            return withUnsafeBytes(of: &words) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
    }
}

/// Fields of a worker's row (32: 256 bytes), all written by the worker's thread. What a switch
/// touches (state, server, cpu, the times, the counters) is in the first two 64-byte cache lines.
enum WorkerRow {
    /// A `WorkerState` raw value (0: never registered).
    static let state = 0
    /// The server it runs or last ran on (`TraceEvent.noServer` none).
    static let server = 1
    /// The CPU it was on when it last resumed (`TraceEvent.noCPU` unknown).
    static let cpu = 2
    /// When a server last switched to it (the switching thread's `TraceClock`).
    static let switchedAt = 3
    /// When it last became ready to run (registered, woke, waited, was preempted).
    static let readySince = 4
    static let blockedAt = 5
    /// The last timestamp pushed into its ring.
    static let lastTimestamp = 6
    /// Events that found no ring.
    static let unpublished = 7
    static let switches = 8
    static let blocks = 9
    static let wakes = 10
    static let waits = 11
    static let preemptions = 12
    static let timeouts = 13
    static let runNanos = 14
    static let runnableNanos = 15
    static let blockedNanos = 16
    static let handoffs = 17
    /// Its thread's name (two fields), read when it registered and when it exited.
    static let name = 18
    static let tid = 20

    static let count = 32
}

/// Fields of a server's row (16: 128 bytes), all written by the server's thread. What a switch
/// and a WAIT touch is in the first 64-byte cache line.
enum ServerRow {
    /// A `ServerState` raw value (0: stopped or never registered).
    static let state = 0
    /// Events written to its buffers.
    static let events = 1
    /// When it went to sleep in WAIT (0: not idle).
    static let idleSince = 2
    /// The last timestamp pushed into its ring.
    static let lastTimestamp = 3
    /// Events that found no ring.
    static let unpublished = 4
    static let switches = 5
    /// Busy ns of its earlier registrations (the current one's is computed: `busySinceRegistered`).
    static let busyNanos = 6
    static let idleNanos = 7
    static let tid = 8
    /// 1 once it registered.
    static let registered = 9
    /// Its thread's name (two fields), read when it registered and when it unregistered.
    static let name = 10
    /// When it (last) registered.
    static let registeredAt = 12
    /// `idleNanos` when it (last) registered.
    static let idleAtRegister = 13

    static let count = 16
}
