import UMCGEngine
import UMCGSystem
import UMCGTrace

/// One measured configuration of `umcgtop bench`.
public struct BenchCase: Hashable, Sendable, CustomStringConvertible {
    /// The ping-pong (or the spin limit).
    public var method: BenchMethod
    /// Where its threads run.
    public var placement: Placement
    /// The UMCG handoff mode (UMCG only, nil otherwise).
    public var handoff: HandoffMode?
    /// UMCG with a TraceHub attached (UMCG only).
    public var tracing: Bool
    /// The backend the UMCG ping-pong runs on (UMCG only, nil otherwise).
    public var backend: BackendKind?

    /// Creates a case. A UMCG case on the kernel backend has no handoff mode (the emulation's option).
    public init(
        method: BenchMethod, placement: Placement, handoff: HandoffMode? = nil, tracing: Bool = false,
        backend: BackendKind = .emulated
    ) {
        self.method = method
        self.placement = placement
        self.backend = method == .umcg ? backend : nil
        self.handoff = method == .umcg && backend == .emulated ? (handoff ?? .futex) : nil
        self.tracing = method == .umcg && tracing
    }

    /// "condvar", "futex", "umcg-futex", "umcg-adaptive" (emulated), "umcg-kernel", with " +trace" when
    /// traced, or "spin".
    public var label: String {
        var s = method.description
        if let handoff { s += "-\(handoff.rawValue)" } else if backend == .kernel { s += "-kernel" }
        if tracing { s += " +trace" }
        return s
    }

    /// The label and the placement, e.g. "umcg-futex same-cpu".
    public var description: String { "\(label) \(placement.rawValue)" }
}

/// What `umcgtop bench` runs: rounds × placements × methods, interleaved.
public struct BenchPlan: Sendable, Equatable {
    /// Seconds per run.
    public var seconds: Double
    /// Rounds; every case runs once per round.
    public var rounds: Int
    /// Placements, in run order.
    public var placements: [Placement]
    /// Methods to run (always run in the order condvar, futex, umcg).
    public var methods: [BaselineMethod]
    /// UMCG handoff modes, in run order.
    public var handoffs: [HandoffMode]
    /// Also run every UMCG case with a TraceHub attached.
    public var tracing: Bool
    /// Also run the spin limit (`BenchMethod.spin`) in every cross-cpu round, after the methods.
    public var limit: Bool
    /// The scheduling policy every thread of every case runs under (`.other` = as started).
    public var policy: SchedulingPolicy
    /// The backend of the UMCG cases (`--backend`): the emulation runs one case per handoff mode,
    /// the kernel one case (handoff modes are the emulation's).
    public var umcgBackend: BackendKind
    /// The emulation's adaptive cross-CPU spin budget (`EmulatedBackend.Options.spinNanos`).
    public var spinNanos: UInt64 = EmulatedBackend.Options.defaultSpinNanos
    /// sched_yield calls after that spin, before FUTEX_WAIT (`EmulatedBackend.Options.spinYields`).
    public var spinYields = 0

    /// Creates a plan (defaults: 1 s, 3 rounds, same-cpu and cross-cpu, all methods and handoffs, no tracing,
    /// no spin limit, the emulation).
    public init(
        seconds: Double = 1, rounds: Int = 3, placements: [Placement] = [.sameCPU, .crossCPU],
        methods: [BaselineMethod] = [.condvar, .futex, .umcg], handoffs: [HandoffMode] = [.futex, .adaptive],
        tracing: Bool = false, limit: Bool = false, policy: SchedulingPolicy = .other,
        umcgBackend: BackendKind = .emulated
    ) {
        self.seconds = seconds
        self.rounds = rounds
        self.placements = placements
        self.methods = methods
        self.handoffs = handoffs
        self.tracing = tracing
        self.limit = limit
        self.policy = policy
        self.umcgBackend = umcgBackend
    }

    /// The untraced UMCG cases of one placement (one per handoff mode, or one on the kernel).
    public func umcgCases(for placement: Placement, tracing: Bool = false) -> [BenchCase] {
        let modes: [HandoffMode?] = umcgBackend == .kernel ? [nil] : unique(handoffs).map { $0 }
        return modes.map {
            BenchCase(method: .umcg, placement: placement, handoff: $0, tracing: tracing, backend: umcgBackend)
        }
    }

    /// The cases of one placement, in the order they run within a round.
    public func cases(for placement: Placement) -> [BenchCase] {
        var out: [BenchCase] = []
        for method in [BaselineMethod.condvar, .futex, .umcg] where methods.contains(method) {
            if method == .umcg {
                out += umcgCases(for: placement)
                if tracing { out += umcgCases(for: placement, tracing: true) }
            } else {
                out.append(BenchCase(method: BenchMethod(method), placement: placement))
            }
        }
        // The limit only exists across CPUs: two spinners on one CPU just burn each other's slices.
        if limit, placement == .crossCPU { out.append(BenchCase(method: .spin, placement: placement)) }
        return out
    }

    /// Every case once, in first-round order (placement-major).
    public var cases: [BenchCase] { unique(placements).flatMap { cases(for: $0) } }

    /// The full run order: for each round, for each placement, each case in turn (A B C A B C …),
    /// so drift of the machine hits every case alike.
    public var schedule: [(round: Int, benchCase: BenchCase)] {
        let perRound = cases
        return (0..<max(0, rounds)).flatMap { round in perRound.map { (round, $0) } }
    }

    private func unique<T: Equatable>(_ xs: [T]) -> [T] {
        var out: [T] = []
        for x in xs where !out.contains(x) { out.append(x) }
        return out
    }
}
