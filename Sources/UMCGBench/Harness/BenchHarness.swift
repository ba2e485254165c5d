import UMCGSystem

/// Runs one case of the bench for a number of seconds.
public protocol BenchRunner: Sendable {
    /// Measures `benchCase` for `seconds`; throws when the case cannot run here.
    func run(_ benchCase: BenchCase, seconds: Double) throws -> BenchRun
}

/// Where the harness is, for progress lines.
public struct BenchProgress: Sendable {
    /// 0-based round.
    public var round: Int
    /// 1-based position in the whole schedule.
    public var step: Int
    /// Length of the whole schedule.
    public var steps: Int
    /// The case.
    public var benchCase: BenchCase
    /// The run's result, or why it failed.
    public var outcome: Result<BenchRun, BenchRunError>
}

/// A runner's error, kept as text so progress and reports stay Sendable and Equatable.
public struct BenchRunError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line.
    public var description: String
    /// The run made no progress and was abandoned (`BenchStuck`).
    public var stuck: Bool

    /// Creates an error.
    public init(description: String, stuck: Bool = false) {
        self.description = description
        self.stuck = stuck
    }
}

/// The interleaved benchmark driver of `umcgtop bench`.
public enum BenchHarness {
    /// Runs `plan.schedule` through `runner` and aggregates per case. A case that fails once is
    /// reported in `skipped` and not run again; one whose run was stuck (`BenchStuck`) is marked so.
    /// `progress` is called after every run.
    public static func run(
        _ plan: BenchPlan, runner: some BenchRunner, progress: (BenchProgress) -> Void = { _ in }
    ) -> BenchReport {
        let cases = plan.cases
        var aggregates = cases.map { BenchAggregate(benchCase: $0) }
        var skipped: [BenchSkip] = []
        let schedule = plan.schedule
        for (step, item) in schedule.enumerated() {
            guard !skipped.contains(where: { $0.benchCase == item.benchCase }) else { continue }
            let outcome: Result<BenchRun, BenchRunError>
            do {
                outcome = .success(try runner.run(item.benchCase, seconds: plan.seconds))
            } catch {
                outcome = .failure(BenchRunError(description: "\(error)", stuck: error is BenchStuck))
            }
            switch outcome {
            case .success(let run):
                if let i = cases.firstIndex(of: item.benchCase) { aggregates[i].add(run) }
            case .failure(let e):
                skipped.append(BenchSkip(benchCase: item.benchCase, reason: e.description, stuck: e.stuck))
            }
            progress(
                BenchProgress(
                    round: item.round, step: step + 1, steps: schedule.count, benchCase: item.benchCase,
                    outcome: outcome))
        }
        let results = aggregates.filter { a in !skipped.contains { $0.benchCase == a.benchCase } }
        return BenchReport(plan: plan, results: results, skipped: skipped)
    }
}
