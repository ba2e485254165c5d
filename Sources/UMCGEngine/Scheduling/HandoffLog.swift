import Synchronization

/// The direct handoffs made under one server's CTX_SWITCH, in order, kept in the server's counter
/// row (`ServerField.handoffCount`, `ServerField.handoffLog`) until the server accounts them.
///
/// Threading rule: while a server is parked in CTX_SWITCH, exactly one worker runs on it at a time
/// (the switched-in one, then each handoff's target), and only that worker appends; each handoff's
/// releasing RUNNING store passes the log to the target, and the stop event's releasing store
/// passes it back to the server, which reads and clears it after its CTX_SWITCH returned. So every
/// access is relaxed. A worker that finds the log full yields instead of handing off (the server
/// then accounts and clears it).
struct HandoffLog {
    /// Entries per server: a chain of more handoffs costs one server round trip per `capacity`.
    static let capacity = 32

    let rows: CounterSlab
    let server: Int

    /// Entries so far.
    var count: Int { Int(truncatingIfNeeded: rows.get(server, ServerField.handoffCount)) }

    /// Whether another entry would not fit.
    var isFull: Bool { count >= Self.capacity }

    /// Appends "worker `from` handed the server to worker `to` at `at`" (nothing when full).
    func append(from: Int, to: Int, at: UInt64) {
        let n = count
        guard n < Self.capacity else { return }
        rows.set(server, ServerField.handoffLog + 2 * n, UInt64(UInt32(truncatingIfNeeded: from)) | UInt64(to) << 32)
        rows.set(server, ServerField.handoffLog + 2 * n + 1, at)
        rows.set(server, ServerField.handoffCount, UInt64(n + 1))
    }

    /// Entry `i` (below `count`).
    func entry(_ i: Int) -> (from: Int, to: Int, at: UInt64) {
        let pair = rows.get(server, ServerField.handoffLog + 2 * i)
        return (Int(pair & 0xFFFF_FFFF), Int(pair >> 32), rows.get(server, ServerField.handoffLog + 2 * i + 1))
    }

    /// Empties the log (the server, after accounting it).
    func clear() { rows.set(server, ServerField.handoffCount, 0) }
}
