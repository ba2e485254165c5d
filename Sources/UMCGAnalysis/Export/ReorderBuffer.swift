import UMCGTrace

/// A record on its way into an exporter.
enum ExportItem: Sendable {
    case event(TraceEvent)
    case snapshot(Snapshot)
    case gap(timestamp: UInt64, count: UInt64)

    var timestamp: UInt64 {
        switch self {
        case .event(let event): event.timestamp
        case .snapshot(let snapshot): snapshot.timestamp
        case .gap(let timestamp, _): timestamp
        }
    }
}

/// Puts records back in time order within a bounded window, as Perfetto's own importer does.
///
/// A trace file holds events in per-producer order: the pump drains one ring after another,
/// so events of different threads interleave out of time order by up to a drain period, and a
/// keyframe (taken "now") precedes events that happened before it. The buffer holds records
/// in a min-heap on (timestamp, arrival) and releases one once a record `windowNanos` newer
/// has arrived, or when it holds `capacity` records; ties keep file order. Records later than
/// the window still come out in arrival order; the timeline clamps them per lane.
struct ReorderBuffer: Sendable {
    /// Hold records until one this much newer arrives: 500 ms of trace time.
    static let windowNanos: UInt64 = 500_000_000
    /// Never hold more than this many records (bounded memory, ~4 MB).
    static let capacity = 1 << 16

    private var heap: [(timestamp: UInt64, order: UInt64, item: ExportItem)] = []
    private var arrivals: UInt64 = 0
    private var newest: UInt64 = 0

    /// Records held now.
    var count: Int { heap.count }

    /// Adds `item`, appending what is now ready to `out` in time order.
    mutating func push(_ item: ExportItem, into out: inout [ExportItem]) {
        let timestamp = item.timestamp
        newest = max(newest, timestamp)
        arrivals += 1
        heap.append((timestamp, arrivals, item))
        siftUp(heap.count - 1)
        while let top = heap.first,
            heap.count > Self.capacity || (newest >= Self.windowNanos && top.timestamp <= newest - Self.windowNanos)
        {
            out.append(popMin())
        }
    }

    /// Appends every held record to `out` in time order.
    mutating func drain(into out: inout [ExportItem]) {
        while !heap.isEmpty { out.append(popMin()) }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        (heap[a].timestamp, heap[a].order) < (heap[b].timestamp, heap[b].order)
    }

    private mutating func popMin() -> ExportItem {
        let item = heap[0].item
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return item
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count && less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, parent) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
