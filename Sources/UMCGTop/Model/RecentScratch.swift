import UMCGTrace

/// Places a chunk's events into the workers' recent-events rings (`FoldState.recentSlots`,
/// `RecentEvents.capacity` slots per worker slot) writing only what stays: a worker named by more
/// events than its ring holds keeps its last `capacity` ones, so only those are written.
///
/// Two passes: forward, count each worker's events in the chunk; backward from the chunk's end,
/// write each worker's last events into the slots a forward pass would have left them in, and stop
/// once every named worker's ring is full (or has all its events). The rings and the append counts
/// end exactly as appending every event in order would leave them.
struct RecentScratch {
    /// Per worker slot: its events in the current chunk (all zero between chunks).
    private var counts: [Int32]
    /// Per worker slot: its events in the chunk not yet passed by the backward pass.
    private var left: [Int32]
    /// The worker slots the current chunk names, first-seen order.
    private var named: [Int32]

    /// Scratch for `workers` worker slots.
    init(workers: Int) {
        counts = Array(repeating: 0, count: workers)
        left = counts
        named = []
        named.reserveCapacity(min(workers, FoldState.chunk))
    }

    /// One more worker slot (a worker added after the start).
    mutating func appendWorker() {
        counts.append(0)
        left.append(0)
    }

    /// Places `chunk`'s worker events (`slots[i]`: event i's worker slot, or negative) into `ring`
    /// and advances `appended`, as writing every event in order would.
    mutating func place(
        _ chunk: UnsafeBufferPointer<TraceEvent>, slots: UnsafePointer<Int32>,
        ring: UnsafeMutableBufferPointer<RecentEvent>, appended: UnsafeMutableBufferPointer<UInt64>
    ) {
        let capacity = RecentEvents.capacity
        let workers = min(appended.count, counts.count)
        named.removeAll(keepingCapacity: true)
        counts.withUnsafeMutableBufferPointer { counts in
            left.withUnsafeMutableBufferPointer { left in
                var toWrite = 0
                for i in chunk.indices {
                    let w = Int(slots[i])
                    guard w >= 0, w < workers else { continue }
                    let c = counts[w]
                    if c == 0 { named.append(Int32(w)) }
                    if c < Int32(capacity) { toWrite += 1 }
                    counts[w] = c &+ 1
                }
                for w in named { left[Int(w)] = counts[Int(w)] }
                var i = chunk.count
                while toWrite > 0 && i > 0 {
                    i -= 1
                    let w = Int(slots[i])
                    guard w >= 0, w < workers else { continue }
                    let k = left[w] &- 1  // this event's index among the worker's events in the chunk
                    left[w] = k
                    guard counts[w] &- k <= Int32(capacity) else { continue }
                    let e = chunk[i]
                    let n = appended[w] &+ UInt64(k)
                    ring[w &* capacity &+ Int(n % UInt64(capacity))] = RecentEvent(
                        timestamp: e.timestamp, kind: e.kind, server: e.server, arg: e.arg)
                    toWrite -= 1
                }
                for w in named {
                    let w = Int(w)
                    appended[w] &+= UInt64(counts[w])
                    counts[w] = 0
                }
            }
        }
    }
}
