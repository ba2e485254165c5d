import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Trace timestamps: nanoseconds on the CLOCK_MONOTONIC time line, read from the TSC where it is
/// invariant (a few ns, no vDSO call) and from CLOCK_MONOTONIC elsewhere.
///
/// Calibration: at creation two (TSC, CLOCK_MONOTONIC) pairs `calibrationNanos` apart give the rate
/// (ns per tick, 32.32 fixed point) and the first anchor. Each pair is the best of a few reads: the
/// clock read with the narrowest TSC window around it, at the window's midpoint.
///
/// Re-anchoring (`reanchor()`, called by the trace pump at each keyframe, and by the first reader
/// that finds the anchor older than `reanchorNanos`): a fresh pair gives the long-run rate since
/// creation (far more precise than the first one) and the error of the current mapping. The new
/// mapping starts where the old one is at that tick (so it never jumps back) and slews by at most
/// `maxSlew` for one `reanchorNanos` window to absorb the error, then runs at the long-run rate.
/// An error beyond what a window can absorb is stepped when the mapping is behind (forward only)
/// and slewed at `maxSlew` when it is ahead. So the conversion is continuous and increasing in the
/// tick count, and stays within a few µs of CLOCK_MONOTONIC (see docs/PERFORMANCE.md).
///
/// Threading rule: any thread reads (`nanos()` is lock-free: a sequence lock, retried while a
/// re-anchor writes); one re-anchor at a time (others skip). A reader racing a re-anchor may
/// convert a tick read just after the new anchor with the old mapping, which differs from the new
/// one by the slew over that gap (well below 1 ns).
public final class TraceClock: Sendable {
    /// Where timestamps come from.
    public enum Source: String, Sendable, CaseIterable {
        /// The invariant TSC, converted to CLOCK_MONOTONIC nanoseconds.
        case tsc
        /// CLOCK_MONOTONIC read at every timestamp (the vDSO).
        case monotonic

        /// The source `UMCGTOP_TRACE_CLOCK` asks for: `monotonic` forces the fallback; anything else
        /// (or nothing) prefers the TSC.
        public init(environmentValue: String?) {
            self = environmentValue == Source.monotonic.rawValue ? .monotonic : .tsc
        }
    }

    /// The process-wide clock of trace timestamps: the TSC when it is invariant, unless
    /// `UMCGTOP_TRACE_CLOCK=monotonic` selects the fallback.
    public static let shared = TraceClock(
        preferring: Source(environmentValue: getenv("UMCGTOP_TRACE_CLOCK").map { String(cString: $0) }))

    /// The source in use (the TSC only when it was preferred, usable and ticking).
    public let source: Source
    /// Length of the first calibration.
    public static let calibrationNanos: UInt64 = 2_000_000
    /// A reader re-anchors once the anchor is this old (and the trace pump at every keyframe).
    public static let reanchorNanos: UInt64 = 1_000_000_000
    /// The largest rate correction while absorbing an error (1/1000: 1 ms per second).
    public static let maxSlewPerMille: UInt64 = 1

    // The mapping, written under `sequence` (odd while a re-anchor writes):
    // ns(t) = anchorNanos + (t - anchorTicks) · slewScale          for t - anchorTicks ≤ slewTicks,
    //         … + slewTicks · slewScale + (rest) · baseScale       beyond.
    @usableFromInline let sequence = Atomic<UInt64>(0)
    @usableFromInline let anchorTicks = Atomic<UInt64>(0)
    @usableFromInline let anchorNanos = Atomic<UInt64>(0)
    @usableFromInline let slewScale = Atomic<UInt64>(0)
    @usableFromInline let slewTicks = Atomic<UInt64>(0)
    @usableFromInline let baseScale = Atomic<UInt64>(0)
    /// Ticks in `reanchorNanos` at the first rate.
    @usableFromInline let reanchorTicks: UInt64
    let startTicks: UInt64
    let startNanos: UInt64
    let writing = Atomic<Bool>(false)

    /// Creates a clock reading `preferring`; the TSC only when `tscUsable` (default: this CPU has an
    /// invariant TSC) and it advances during calibration, else CLOCK_MONOTONIC.
    public init(preferring: Source = .tsc, tscUsable: Bool = TimestampCounter.isInvariant) {
        guard preferring == .tsc, tscUsable else {
            (source, startTicks, startNanos, reanchorTicks) = (.monotonic, 0, 0, .max)
            return
        }
        let first = Self.pair()
        var now = first.nanos
        while now &- first.nanos < Self.calibrationNanos { now = SystemClock.monotonicNanos() }
        let second = Self.pair()
        guard second.ticks > first.ticks, second.nanos > first.nanos,
            let scale = Self.scale(nanos: second.nanos &- first.nanos, ticks: second.ticks &- first.ticks)
        else {
            (source, startTicks, startNanos, reanchorTicks) = (.monotonic, 0, 0, .max)
            return
        }
        (source, startTicks, startNanos) = (.tsc, first.ticks, first.nanos)
        reanchorTicks = Self.ticks(nanos: Self.reanchorNanos, scale: scale)
        // Relaxed: not yet shared (init publishes the object).
        anchorTicks.store(second.ticks, ordering: .relaxed)
        anchorNanos.store(second.nanos, ordering: .relaxed)
        slewScale.store(scale, ordering: .relaxed)
        slewTicks.store(0, ordering: .relaxed)
        baseScale.store(scale, ordering: .relaxed)
    }

    /// `shared.nanos()` without retaining and releasing `shared` around the call (two atomic
    /// read-modify-writes the compiler adds for a global object used across the re-anchor call;
    /// `shared` lives as long as the process): for hot paths that take a stamp per switch.
    @inlinable @inline(__always)
    public static func now() -> UInt64 {
        Unmanaged.passUnretained(shared)._withUnsafeGuaranteedRef { $0.nanos() }
    }

    /// Now, in CLOCK_MONOTONIC nanoseconds.
    @inlinable @inline(__always)
    public func nanos() -> UInt64 {
        source == .monotonic ? SystemClock.monotonicNanos() : tscNanos()
    }

    @inlinable @inline(__always)
    func tscNanos() -> UInt64 {
        while true {
            // Acquiring: pairs with the re-anchor's releasing store of the even sequence.
            let s0 = sequence.load(ordering: .acquiring)
            let t = TimestampCounter.read()
            // Relaxed: validated by the sequence re-check after the acquiring fence.
            let at = anchorTicks.load(ordering: .relaxed)
            let an = anchorNanos.load(ordering: .relaxed)
            let slew = slewScale.load(ordering: .relaxed)
            let window = slewTicks.load(ordering: .relaxed)
            let base = baseScale.load(ordering: .relaxed)
            // Acquiring fence: the loads above happen before the re-check (pairs with the writer's
            // releasing fence after its odd store).
            atomicMemoryFence(ordering: .acquiring)
            // Relaxed: ordered by the fence above.
            guard s0 & 1 == 0, sequence.load(ordering: .relaxed) == s0 else { continue }
            if t &- at > reanchorTicks && t > at { reanchorIfIdle() }
            return Self.convert(t, anchorTicks: at, anchorNanos: an, slew: slew, window: window, base: base)
        }
    }

    /// Converts tick `t` with one mapping (a tick before the anchor, read by a racing reader, maps back).
    @inlinable @inline(__always)
    static func convert(
        _ t: UInt64, anchorTicks at: UInt64, anchorNanos an: UInt64, slew: UInt64, window: UInt64, base: UInt64
    ) -> UInt64 {
        guard t >= at else { return an &- mul(at &- t, slew) }
        let d = t &- at
        if d <= window { return an &+ mul(d, slew) }
        return an &+ mul(window, slew) &+ mul(d &- window, base)
    }

    /// `ticks · scale` with `scale` in 32.32 fixed point.
    @inlinable @inline(__always)
    static func mul(_ ticks: UInt64, _ scale: UInt64) -> UInt64 {
        let (hi, lo) = ticks.multipliedFullWidth(by: scale)
        return hi << 32 | lo >> 32
    }

    /// ns per tick in 32.32 fixed point; nil when it does not fit.
    static func scale(nanos: UInt64, ticks: UInt64) -> UInt64? {
        guard ticks > 0, nanos >> 32 < ticks else { return nil }
        let q = ticks.dividingFullWidth((high: nanos >> 32, low: nanos << 32)).quotient
        return q > 0 ? q : nil
    }

    /// Ticks in `nanos` at `scale`.
    static func ticks(nanos: UInt64, scale: UInt64) -> UInt64 {
        guard nanos >> 32 < scale else { return .max }
        return scale.dividingFullWidth((high: nanos >> 32, low: nanos << 32)).quotient
    }

    /// A (TSC, CLOCK_MONOTONIC) pair: the best of five reads, the TSC at the middle of the narrowest
    /// window around a clock read.
    static func pair() -> (ticks: UInt64, nanos: UInt64) {
        var best: (window: UInt64, ticks: UInt64, nanos: UInt64) = (.max, 0, 0)
        for _ in 0..<5 {
            let a = TimestampCounter.read()
            let n = SystemClock.monotonicNanos()
            let b = TimestampCounter.read()
            if b >= a, b &- a < best.window { best = (b &- a, a &+ (b &- a) / 2, n) }
        }
        return (best.ticks, best.nanos)
    }

    @usableFromInline @inline(never)
    func reanchorIfIdle() { reanchor() }

    /// Re-anchors the TSC mapping on CLOCK_MONOTONIC now (see the type comment); returns the error of
    /// the mapping it replaced (CLOCK_MONOTONIC minus the mapping, ns), or nil when another re-anchor
    /// runs or the source is CLOCK_MONOTONIC.
    @discardableResult
    public func reanchor() -> Int64? {
        guard source == .tsc else { return nil }
        // Acquiring: pairs with the releasing reset below; one writer at a time, others skip.
        guard writing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return nil
        }
        // Releasing: pairs with the acquiring CAS above.
        defer { writing.store(false, ordering: .releasing) }
        let now = Self.pair()
        // Relaxed: only the writer (us, under `writing`) stores these.
        let at = anchorTicks.load(ordering: .relaxed)
        let an = anchorNanos.load(ordering: .relaxed)
        let oldBase = baseScale.load(ordering: .relaxed)
        guard now.ticks > at else { return nil }
        let mapped = Self.convert(
            now.ticks, anchorTicks: at, anchorNanos: an, slew: slewScale.load(ordering: .relaxed),
            window: slewTicks.load(ordering: .relaxed), base: oldBase)
        let error = Int64(bitPattern: now.nanos &- mapped)
        let base =
            Self.scale(nanos: now.nanos &- startNanos, ticks: now.ticks &- startTicks) ?? oldBase
        let window = Self.ticks(nanos: Self.reanchorNanos, scale: base)
        let maxAdjust = base / 1000 * Self.maxSlewPerMille
        // Spread the error over one window: scale · error / window-ns, at most maxAdjust either way.
        let wanted = Int64(truncatingIfNeeded: base).multipliedReportingOverflow(by: error)
        var adjust = wanted.overflow ? Int64.max : wanted.partialValue / Int64(Self.reanchorNanos)
        adjust = max(-Int64(maxAdjust), min(Int64(maxAdjust), adjust))
        var anchor = mapped
        if error > 0, UInt64(error) > Self.reanchorNanos / 1000 * Self.maxSlewPerMille {
            anchor = now.nanos  // behind by more than a window absorbs: step forward
            adjust = 0
        }
        let slew = UInt64(Int64(truncatingIfNeeded: base) &+ adjust)
        // Relaxed + releasing fence: readers that see any new field see the odd sequence (they retry).
        let s = sequence.load(ordering: .relaxed)
        sequence.store(s &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        anchorTicks.store(now.ticks, ordering: .relaxed)
        anchorNanos.store(anchor, ordering: .relaxed)
        slewScale.store(slew, ordering: .relaxed)
        slewTicks.store(adjust == 0 ? 0 : window, ordering: .relaxed)
        baseScale.store(base, ordering: .relaxed)
        // Releasing: pairs with the readers' acquiring sequence load.
        sequence.store(s &+ 2, ordering: .releasing)
        return error
    }
}
