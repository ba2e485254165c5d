import UMCGTrace

/// What one bench case measures: one of the dashboard's baseline ping-pongs, or the spin limit.
///
/// `spin` is not a method under test but the reference every cross-CPU handoff is held against:
/// two pinned threads handing one cache line back and forth (see `SpinPingPong`).
public enum BenchMethod: String, Sendable, CaseIterable, CustomStringConvertible {
    /// pthread mutex + condvar.
    case condvar
    /// FUTEX_WAKE + FUTEX_WAIT.
    case futex
    /// The UMCG engine.
    case umcg
    /// Two threads spinning on one cache line: the hardware limit of a thread handoff.
    case spin

    /// The baseline method a dashboard sample would name, nil for the spin limit.
    public var baseline: BaselineMethod? {
        switch self {
        case .condvar: .condvar
        case .futex: .futex
        case .umcg: .umcg
        case .spin: nil
        }
    }

    /// The bench method of a baseline.
    public init(_ baseline: BaselineMethod) {
        switch baseline {
        case .condvar: self = .condvar
        case .futex: self = .futex
        case .umcg: self = .umcg
        }
    }

    /// "condvar", "futex", "umcg", "spin".
    public var description: String { rawValue }
}
