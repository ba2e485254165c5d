import UMCGSystem
import UMCGTrace

/// Where a switch-rate series comes from.
public enum RateSource: Equatable, Sendable {
    /// No data yet.
    case none
    /// A baseline ping-pong's lossless counters (snapshots / keyframes).
    case counters
    /// `.baselineSample` events.
    case samples
    /// The engine's own switches, halved (one cycle = two switches).
    case engineSwitches
}

/// One line of the Switch-rate panel: cycles per second over time.
public struct RateSeries: Equatable, Sendable {
    /// Which ping-pong.
    public var method: BaselineMethod
    /// Cycles per second over the last window, nil before the first window closes.
    public var cyclesPerSecond: Double?
    /// Where the threads ran ("same-cpu", "cross-cpu", "unpinned"), nil if unknown.
    public var placement: String?
    /// Where the numbers come from.
    public var source: RateSource = .none
    /// Cycles per second, one sample per refresh.
    public var history: History

    /// Creates an empty series.
    public init(method: BaselineMethod, historyCapacity: Int) {
        self.method = method
        history = History(capacity: historyCapacity)
    }

    /// ns per switch (one cycle is two switches), nil without a rate.
    public var nanosPerSwitch: Double? {
        guard let r = cyclesPerSecond, r > 0 else { return nil }
        return 1e9 / (2 * r)
    }
}

/// The three series the Switch-rate panel compares on one time axis.
public struct SwitchRates: Equatable, Sendable {
    /// UMCG ping-pong (or the engine's switches / 2).
    public var umcg: RateSeries
    /// futex ping-pong baseline.
    public var futex: RateSeries
    /// condvar ping-pong baseline.
    public var condvar: RateSeries

    /// Creates empty series.
    public init(historyCapacity: Int) {
        umcg = RateSeries(method: .umcg, historyCapacity: historyCapacity)
        futex = RateSeries(method: .futex, historyCapacity: historyCapacity)
        condvar = RateSeries(method: .condvar, historyCapacity: historyCapacity)
    }

    /// The series in drawing order.
    public var all: [RateSeries] { [umcg, futex, condvar] }

    /// UMCG cycles/s divided by `other`'s, nil if either is missing or zero.
    public func umcgRatio(to other: BaselineMethod) -> Double? {
        let o: RateSeries =
            switch other {
            case .futex: futex
            case .condvar: condvar
            case .umcg: umcg
            }
        guard let u = umcg.cyclesPerSecond, let d = o.cyclesPerSecond, d > 0, u > 0 else { return nil }
        return u / d
    }
}
