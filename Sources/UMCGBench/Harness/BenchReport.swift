import UMCGEngine
import UMCGSystem
import UMCGTrace

/// A case that could not run, and why (one line).
public struct BenchSkip: Sendable, Equatable {
    /// The case.
    public var benchCase: BenchCase
    /// The error's description.
    public var reason: String
    /// The case's run made no progress and was abandoned (reported as `stuck`, not skipped).
    public var stuck: Bool

    /// Creates a skip record.
    public init(benchCase: BenchCase, reason: String, stuck: Bool = false) {
        self.benchCase = benchCase
        self.reason = reason
        self.stuck = stuck
    }
}

/// A named ratio of two aggregates' cycles/s.
public struct BenchRatio: Sendable, Equatable {
    /// e.g. "umcg-futex/futex" or "best umcg/best condvar".
    public var name: String
    /// The placement both sides share, nil for best-vs-best.
    public var placement: Placement?
    /// numerator cycles/s ÷ denominator cycles/s.
    public var value: Double

    /// Creates a ratio.
    public init(name: String, placement: Placement?, value: Double) {
        self.name = name
        self.placement = placement
        self.value = value
    }
}

/// Everything one `umcgtop bench` measured.
public struct BenchReport: Sendable, Equatable {
    /// What was asked for.
    public var plan: BenchPlan
    /// One aggregate per case that ran every round, in `plan.cases` order.
    public var results: [BenchAggregate]
    /// Cases that failed (they are not in `results`).
    public var skipped: [BenchSkip]

    /// Creates a report.
    public init(plan: BenchPlan, results: [BenchAggregate], skipped: [BenchSkip]) {
        self.plan = plan
        self.results = results
        self.skipped = skipped
    }

    /// The cases whose run was stuck (no progress for the watchdog's time; their threads abandoned).
    public var stuck: [BenchSkip] { skipped.filter(\.stuck) }

    /// `a`'s cycles/s as a fraction of the spin limit measured at the same placement in this run
    /// (nil when the limit did not run there or `a` is the limit itself).
    public func ratioToLimit(_ a: BenchAggregate) -> Double? {
        guard a.benchCase.method != .spin, let spin = result(.spin, a.benchCase.placement),
            spin.cyclesPerSecond > 0
        else { return nil }
        return a.cyclesPerSecond / spin.cyclesPerSecond
    }

    /// `a`'s cycles/s in each round as a fraction of the spin limit's in the same round (the limit runs
    /// last in every cross-cpu round, seconds after `a`). nil as `ratioToLimit`, or when a round of
    /// either is missing or the limit's is 0.
    /// The host may move the two vCPUs between one physical core's hyperthreads and two cores in the
    /// middle of a run (the limit then reads 28–36 M instead of 6–8 M cycles/s here), which the ratio
    /// of whole-run aggregates mixes; a round's own ratio does not.
    public func roundsRatioToLimit(_ a: BenchAggregate) -> [Double]? {
        guard a.benchCase.method != .spin, let spin = result(.spin, a.benchCase.placement),
            spin.roundsCyclesPerSecond.count == a.roundsCyclesPerSecond.count, !a.roundsCyclesPerSecond.isEmpty,
            !spin.roundsCyclesPerSecond.contains(where: { $0 <= 0 })
        else { return nil }
        return zip(a.roundsCyclesPerSecond, spin.roundsCyclesPerSecond).map { $0 / $1 }
    }

    /// The median of `roundsRatioToLimit(a)` (the mean of the middle two for an even count).
    public func pairedRatioToLimit(_ a: BenchAggregate) -> Double? {
        guard let r = roundsRatioToLimit(a)?.sorted() else { return nil }
        let n = r.count
        return n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2
    }

    /// The aggregate of a case, if it ran (UMCG: on the plan's backend).
    public func result(
        _ method: BenchMethod, _ placement: Placement, handoff: HandoffMode? = nil, tracing: Bool = false
    )
        -> BenchAggregate?
    {
        let key = BenchCase(
            method: method, placement: placement, handoff: handoff, tracing: tracing, backend: plan.umcgBackend)
        return results.first { $0.benchCase == key }
    }

    /// The aggregate of `c`, if it ran.
    public func result(_ c: BenchCase) -> BenchAggregate? { results.first { $0.benchCase == c } }

    /// Ratios of cycles/s: per placement (futex/condvar, umcg-h/futex, umcg-h/condvar, traced/untraced,
    /// and against the spin limit where it ran: umcg-h/spin, umcg-h traced/spin) and best-vs-best over
    /// every placement and handoff. Only pairs where both sides ran.
    public var ratios: [BenchRatio] {
        var out: [BenchRatio] = []
        func add(_ name: String, _ p: Placement?, _ a: BenchAggregate?, _ b: BenchAggregate?) {
            guard let a, let b, b.cyclesPerSecond > 0 else { return }
            out.append(BenchRatio(name: name, placement: p, value: a.cyclesPerSecond / b.cyclesPerSecond))
        }
        for p in plan.placements {
            let futex = result(.futex, p)
            let condvar = result(.condvar, p)
            add("futex/condvar", p, futex, condvar)
            let umcgCases = plan.umcgCases(for: p)
            for c in umcgCases {
                let umcg = result(c)
                var traced = c
                traced.tracing = true
                add("\(c.label)/futex", p, umcg, futex)
                add("\(c.label)/condvar", p, umcg, condvar)
                add("\(c.label) traced/untraced", p, result(traced), umcg)
            }
            let spin = result(.spin, p)
            for c in umcgCases {
                var traced = c
                traced.tracing = true
                add("\(c.label)/spin", p, result(c), spin)
                add("\(c.label) traced/spin", p, result(traced), spin)
                for (name, a) in [("\(c.label)/spin", result(c)), ("\(c.label) traced/spin", result(traced))] {
                    if let a, let v = pairedRatioToLimit(a) {
                        out.append(BenchRatio(name: "\(name) paired", placement: p, value: v))
                    }
                }
            }
        }
        func best(_ m: BenchMethod) -> BenchAggregate? {
            results.filter { $0.benchCase.method == m && !$0.benchCase.tracing }.max {
                $0.cyclesPerSecond < $1.cyclesPerSecond
            }
        }
        add("best umcg/best futex", nil, best(.umcg), best(.futex))
        add("best umcg/best condvar", nil, best(.umcg), best(.condvar))
        add("best futex/best condvar", nil, best(.futex), best(.condvar))
        return out
    }
}
