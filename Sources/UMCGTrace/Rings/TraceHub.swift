import Synchronization
import UMCGSystem

/// The set of rings of one traced process: producers get a ring each, one consumer drains them all.
///
/// Threading rule: `makeRing` from any thread (it takes a lock; not a hot path);
/// `drain` from one consumer thread at a time.
public final class TraceHub: Sendable {
    private let rings = ThreadLock<[TraceRing]>([])
    /// Slots per ring.
    public let ringCapacity: Int
    /// The shared-memory region the rings live in, when the hub is published.
    public let region: PublishedRegion?

    /// Creates a hub whose rings hold `ringCapacity` events each.
    public init(ringCapacity: Int = 1 << 16) {
        self.ringCapacity = ringCapacity
        region = nil
    }

    /// Creates a hub whose rings are made in `region` (for a viewer in another process), of the
    /// region's ring capacity, or in process memory when `region` is nil or its directory is full.
    public init(ringCapacity: Int = 1 << 16, region: PublishedRegion?) {
        self.ringCapacity = region?.ringCapacity ?? ringCapacity
        self.region = region
    }

    /// Creates and registers a ring for one producing thread, of `capacity` slots (default: the
    /// hub's `ringCapacity`). A ring's pages become resident as its first lap writes them, so a
    /// slow producer in a large ring looks like a slow memory leak for hours: size rings for
    /// their producer's rate.
    /// In a published hub, a ring of the region's capacity goes into the region while its directory has room.
    public func makeRing(label: String, capacity: Int? = nil) -> TraceRing {
        let shared = capacity == nil || capacity == ringCapacity ? region?.makeRing(label: label) : nil
        let ring = shared ?? TraceRing(minimumCapacity: capacity ?? ringCapacity, label: label)
        rings.withLock { $0.append(ring) }
        return ring
    }

    /// All rings made so far.
    public var allRings: [TraceRing] { rings.withLock { $0 } }

    /// Total events dropped by every ring.
    public var dropped: UInt64 { allRings.reduce(0) { $0 &+ $1.dropped } }

    /// Drains up to `limitPerRing` events from each ring into `body`. Consumer only.
    /// Events of one ring arrive in order; rings are not merged by time.
    @discardableResult
    public func drain(limitPerRing: Int = .max, _ body: (TraceEvent) throws -> Void) rethrows -> Int {
        var total = 0
        for ring in allRings {
            total += try ring.drain(limit: limitPerRing, body)
        }
        return total
    }
}
