import ArgumentParser
import UMCGBench
import UMCGEngine
import UMCGSystem

/// `bench`'s other modes: `--scale`, `--timestamps`, `--worker-handoff`.
extension BenchCommand {
    /// `--scale`: runs `ScaleBench` and prints its table or JSON; exit 1 when an engine fails.
    func runScale() throws {
        let plan = try scalePlan
        let env = BenchEnvironment.current(selection: try selection)
        let showProgress = FileDescriptor(rawValue: 2).isTerminal
        let report: ScaleReport
        do {
            report = try ScaleBench.run(plan) { round, r in
                guard showProgress else { return }
                var err = BenchStderr()
                let floor = r.floorNanosPerSwitch.map { ", floor \(BenchOutput.fixed($0, 0))" } ?? ""
                print(
                    "scale: round \(round + 1)/\(plan.rounds): \(r.workers) workers: "
                        + "\(BenchOutput.fixed(r.nanosPerSwitch, 0)) ns/switch\(floor)", to: &err)
            }
        } catch {
            var err = BenchStderr()
            print("umcgtop bench --scale: \(error)", to: &err)
            throw ExitCode.failure
        }
        if json {
            print(ScaleOutput.json(report, plan: plan, environment: env).rendered)
        } else {
            print(ScaleOutput.text(report, plan: plan, environment: env))
        }
        let overflowed = report.runs.reduce(0) { $0 + ($1.stackUsage?.overflowed ?? 0) }
        if overflowed > 0 {
            var err = BenchStderr()
            print(
                "umcgtop bench --scale: \(overflowed) worker stack(s) overflowed into their canary; raise --stack-kib",
                to: &err)
            throw ExitCode.failure
        }
    }

    /// `--timestamps`: ns per call of each timestamp source, median of --rounds interleaved rounds.
    func runTimestamps() {
        let calls = 2_000_000
        let rows = TimestampCost.measure(calls: calls, rounds: rounds)
        if json {
            print(TimestampOutput.json(rows, calls: calls, rounds: rounds).rendered)
        } else {
            print(TimestampOutput.text(rows, calls: calls, rounds: rounds))
        }
    }

    /// `--worker-handoff`: direct handoff vs yield, median of --rounds interleaved rounds; exit 1
    /// when an engine cannot run.
    func runWorkerHandoff() throws {
        let modes = try Self.list(handoffs, of: HandoffMode.allCases.map(\.rawValue), flag: "--handoffs")
        let mode = modes.first.flatMap(HandoffMode.init(rawValue:)) ?? .adaptive
        let rows: [WorkerHandoffBench.Row]
        do {
            rows = try WorkerHandoffBench.run(seconds: seconds, rounds: rounds, handoff: mode, tracing: tracing)
        } catch {
            var err = BenchStderr()
            print("umcgtop: error: bench --worker-handoff: \(error)", to: &err)
            throw ExitCode.failure
        }
        if json {
            print(WorkerHandoffOutput.json(rows, seconds: seconds, rounds: rounds, handoff: mode).rendered)
        } else {
            print(WorkerHandoffOutput.text(rows, seconds: seconds, rounds: rounds, handoff: mode))
        }
    }
}
