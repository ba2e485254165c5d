import UMCGTrace

/// A counter track of an export: switches per second of one method.
public enum RateTrack: Sendable, Hashable, CaseIterable {
    /// Context switches on the UMCG server lanes (from switch, handoff and leave events).
    case umcg
    /// The futex ping-pong baseline.
    case futex
    /// The condvar ping-pong baseline.
    case condvar
    /// The UMCG ping-pong baseline (when the run measured one).
    case umcgPingPong

    /// The baseline this track shows, nil for the live UMCG lanes.
    public var baseline: BaselineMethod? {
        switch self {
        case .umcg: nil
        case .futex: .futex
        case .condvar: .condvar
        case .umcgPingPong: .umcg
        }
    }

    /// The track of a baseline method.
    public init(_ method: BaselineMethod) {
        switch method {
        case .futex: self = .futex
        case .condvar: self = .condvar
        case .umcg: self = .umcgPingPong
        }
    }

    /// The track's display name.
    public var name: String {
        switch self {
        case .umcg: "UMCG switches/s"
        case .futex: "futex ping-pong switches/s"
        case .condvar: "condvar ping-pong switches/s"
        case .umcgPingPong: "UMCG ping-pong switches/s"
        }
    }
}

/// One counter value: `value` switches/s from `timestamp` on.
public struct CounterSample: Sendable, Equatable {
    /// Which counter.
    public var track: RateTrack
    /// When the value starts to hold.
    public var timestamp: UInt64
    /// Switches per second.
    public var value: Double
}

/// Turns switches and baseline progress into switches-per-second samples.
///
/// All tracks count switches the same way, so they share one axis: one ping-pong cycle
/// (main → peer → main) is two switches for futex, condvar and UMCG alike.
/// - UMCG: every lane switch counts one (into a worker, out of it, or worker to worker),
///   summed in `bucketNanos` buckets; a value is emitted at each bucket's start when it closes,
///   and a run of empty buckets becomes one zero.
/// - Baselines: keyframe counters give 2 × Δcycles / ΔactiveNanos between consecutive keyframes (the
///   method's active time, not the wall time, since the methods run in turn); a method no keyframe
///   carries falls back to `.baselineSample` events: 2 × the slice's cycles / the slice's active time
///   (`BaselineSliceClock`). The dashboard, the headless JSON and `report` use the same two sources,
///   so every path gives one number. Values are stamped at their interval's start, in time order per track.
public struct SwitchRateMeter: Sendable {
    /// UMCG bucket width: 100 ms.
    public static let bucketNanos: UInt64 = 100_000_000

    private var bucketStart: UInt64?
    private var bucketSwitches: UInt64 = 0
    private var slices = BaselineSliceClock()
    private var lastSampleStart: [BaselineMethod: UInt64] = [:]
    private var counted: Set<BaselineMethod> = []
    private var lastKeyframe: [BaselineMethod: (timestamp: UInt64, cycles: UInt64, active: UInt64)] = [:]

    /// Creates a meter with no data.
    public init() {}

    /// Moves time to `timestamp`, closing finished UMCG buckets into `out`.
    public mutating func advance(to timestamp: UInt64, into out: inout [CounterSample]) {
        guard let start = bucketStart else {
            bucketStart = timestamp
            return
        }
        guard timestamp >= start &+ Self.bucketNanos, timestamp > start else { return }
        out.append(CounterSample(track: .umcg, timestamp: start, value: rate(bucketSwitches, over: Self.bucketNanos)))
        let buckets = (timestamp - start) / Self.bucketNanos
        if buckets >= 2 {
            out.append(CounterSample(track: .umcg, timestamp: start + Self.bucketNanos, value: 0))
        }
        bucketStart = start + buckets * Self.bucketNanos
        bucketSwitches = 0
    }

    /// Counts one UMCG lane switch in the current bucket.
    public mutating func countSwitch() { bucketSwitches += 1 }

    /// Records a `.baselineSample` event: 2 × cycles / the slice's active time (`BaselineSliceClock`),
    /// stamped at the slice's start, unless keyframes already give the method's counters.
    public mutating func baselineSample(_ event: TraceEvent, into out: inout [CounterSample]) {
        guard event.worker <= UInt32(UInt8.max), let method = BaselineMethod(rawValue: UInt8(event.worker)) else {
            return
        }
        let slice = slices.slice(endingAt: event.timestamp)
        guard !counted.contains(method), let slice, slice.start >= (lastSampleStart[method] ?? 0) else { return }
        lastSampleStart[method] = slice.start
        out.append(
            CounterSample(
                track: RateTrack(method), timestamp: slice.start,
                value: rate(event.arg.multipliedReportingOverflow(by: 2).partialValue, over: slice.activeNanos)))
    }

    /// Records a keyframe's baseline counters: 2 × Δcycles / ΔactiveNanos between consecutive keyframes,
    /// stamped at the earlier one. Once a keyframe carries a method, its counters (exact, lossless) are the
    /// method's only source, as on the dashboard; its samples are ignored from then on.
    public mutating func snapshot(_ snapshot: Snapshot, into out: inout [CounterSample]) {
        for baseline in snapshot.baselines {
            counted.insert(baseline.method)
            if let previous = lastKeyframe[baseline.method], snapshot.timestamp > previous.timestamp,
                baseline.cycles >= previous.cycles, baseline.activeNanos >= previous.active,
                previous.timestamp >= (lastSampleStart[baseline.method] ?? 0)
            {
                let active = baseline.activeNanos - previous.active
                let cycles = baseline.cycles - previous.cycles
                if active > 0 {
                    lastSampleStart[baseline.method] = previous.timestamp
                    out.append(
                        CounterSample(
                            track: RateTrack(baseline.method), timestamp: previous.timestamp,
                            value: rate(cycles.multipliedReportingOverflow(by: 2).partialValue, over: active)))
                }
            }
            lastKeyframe[baseline.method] = (snapshot.timestamp, baseline.cycles, baseline.activeNanos)
        }
    }

    /// Closes the last UMCG bucket (rated over a full bucket width).
    public mutating func finish(into out: inout [CounterSample]) {
        guard let start = bucketStart else { return }
        out.append(CounterSample(track: .umcg, timestamp: start, value: rate(bucketSwitches, over: Self.bucketNanos)))
        bucketStart = nil
        bucketSwitches = 0
    }

    private func rate(_ count: UInt64, over nanos: UInt64) -> Double {
        nanos == 0 ? 0 : Double(count) * 1e9 / Double(nanos)
    }
}
