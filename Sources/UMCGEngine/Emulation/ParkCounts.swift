import Synchronization

/// How the parks of an emulated backend's threads ended: the handoff stage that saw the notification.
///
/// Each control block keeps its own four counters in its second cache line, which only its owner
/// thread writes (a relaxed load and store, no read-modify-write, so nothing is shared per switch);
/// `EmulatedBackend.parkCounts()` sums them. Exact once the threads have stopped (joined), a
/// statistic while they run.
public struct ParkCounts: Sendable, Equatable {
    /// The notification was already there when the park began (no wait at all).
    public var immediate: UInt64
    /// Seen while spinning (the adaptive handoff's cross-CPU spin).
    public var spun: UInt64
    /// Seen after a sched_yield (`.yield` mode, or the adaptive spin's yield stage).
    public var yielded: UInt64
    /// Ended in the sleep path: announced sleep (word 2) and waited in FUTEX_WAIT, or lost that race.
    public var slept: UInt64

    /// Creates counts.
    public init(immediate: UInt64 = 0, spun: UInt64 = 0, yielded: UInt64 = 0, slept: UInt64 = 0) {
        self.immediate = immediate
        self.spun = spun
        self.yielded = yielded
        self.slept = slept
    }

    /// Every park counted.
    public var total: UInt64 { immediate &+ spun &+ yielded &+ slept }

    /// The share of parks that ended in the sleep path (0 when none were counted).
    public var sleptFraction: Double { total == 0 ? 0 : Double(slept) / Double(total) }

    /// The sum of two counts.
    public static func + (a: ParkCounts, b: ParkCounts) -> ParkCounts {
        ParkCounts(
            immediate: a.immediate &+ b.immediate, spun: a.spun &+ b.spun, yielded: a.yielded &+ b.yielded,
            slept: a.slept &+ b.slept)
    }

    /// Byte offset of the counters in a control block (its second 64-byte line).
    static let blockOffset = 64
    /// Which counter a park's end adds to (the index of the 64-bit word at `blockOffset`).
    enum Stage: Int {
        case immediate = 0
        case spun = 1
        case yielded = 2
        case slept = 3
    }

    /// Reads the four words at `words` (relaxed: a statistic; exact after the owner was joined).
    static func read(_ words: UnsafeMutablePointer<Atomic<UInt64>>) -> ParkCounts {
        ParkCounts(
            immediate: words[0].load(ordering: .relaxed), spun: words[1].load(ordering: .relaxed),
            yielded: words[2].load(ordering: .relaxed), slept: words[3].load(ordering: .relaxed))
    }

    /// The four words of the control block at `raw`.
    @inline(__always)
    static func words(in raw: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (raw + blockOffset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Binds and zeroes the four words at `raw + blockOffset` of a fresh block.
    static func initialize(in raw: UnsafeMutableRawPointer) {
        let words = (raw + blockOffset).bindMemory(to: Atomic<UInt64>.self, capacity: 4)
        for i in 0..<4 { (words + i).initialize(to: Atomic(0)) }
    }
}
