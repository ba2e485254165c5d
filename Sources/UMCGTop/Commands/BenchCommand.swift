import ArgumentParser
import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// `umcgtop bench`: the Nanos ping-pong benchmark (condvar, futex, UMCG), interleaved rounds per placement.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure UMCG, futex and condvar ping-pong switch rates (the Nanos benchmark), interleaved.",
        discussion: """
            One cycle = main -> peer -> main (two switches). For each round and placement every \
            method runs in turn for --seconds, so machine drift hits all alike. Prints the Nanos \
            test's result lines, a summary with ratios and where the threads ran; --json prints \
            one JSON object instead. Every cross-cpu round also runs the spin limit (two pinned \
            threads handing one cache line back and forth, no system call: the fastest any thread \
            handoff can be here) and reports each UMCG row as a fraction of it (ratio_to_limit); \
            --no-limit skips it.

            UMCG rows run on the backend --backend selects (each row names it: emulated or kernel; \
            on the kernel one UMCG case per placement runs, the handoff modes being the emulation's). \
            A run that completes no cycle for --stuck-seconds is reported as stuck and abandoned \
            (its threads are never joined); the other runs go on, and bench exits 3.

            --scale runs the scale benchmark instead: the pingpong workload on the default servers \
            for each of --scale-workers (default 8,1000,10000) for --scale-seconds each, in \
            --scale-rounds interleaved rounds, and after each engine run the futex floor (the same \
            number of plain threads woken in turn, no engine). Prints the median switches/s per \
            server and ns per switch, engine / floor, the cost ratio of the largest vs the smallest \
            worker count (goal <= 1.5x) next to the floor's own ratio, and memory per worker \
            (engine heap, stack, RSS growth). --stacks pooled puts the worker stacks in one \
            mapping on transparent huge pages and reports the deepest stack use; --futex-hash kernel keeps \
            the kernel's default private futex hash (16 buckets on 2 CPUs) to show what the \
            engine's growing it saves.
            """)

    /// Seconds per run.
    @Option(parsing: .unconditional, help: "Seconds per run (> 0, at most 60).")
    public var seconds: Double = 1

    /// Rounds.
    @Option(parsing: .unconditional, help: "Rounds of interleaved runs (1...100).")
    public var rounds: Int = 3

    /// JSON output.
    @Flag(help: "Print exactly one JSON object on stdout.")
    public var json = false

    /// Placement selection.
    @Option(help: "Where the two threads run: same-cpu, cross-cpu, all (both) or unpinned (bimodal; not in all).")
    public var placement: String = "all"

    /// Method subset.
    @Option(help: "Comma-separated subset of condvar,futex,umcg.")
    public var methods: String = "condvar,futex,umcg"

    /// UMCG handoff subset.
    @Option(help: "Comma-separated UMCG handoff modes: futex,adaptive,yield (yield: sched_yield, for --policy fifo).")
    public var handoffs: String = "futex,adaptive"

    /// Scheduling policy of every benchmark thread.
    @Option(
        help: ArgumentHelp(
            "Scheduling policy of every benchmark thread: other, fifo or rr (real-time, priority 1; refused at start when it cannot be had). The yield handoff needs fifo or rr."
        ))
    public var policy: String = "other"

    /// No spin limit.
    @Flag(
        name: .customLong("no-limit"),
        help: "Skip the spin limit (two threads handing one cache line back and forth, run in every cross-cpu round).")
    public var noLimit = false

    /// Tracing comparison.
    @Flag(help: "Also run UMCG with a trace hub attached and report the tracing on/off ratio.")
    public var tracing = false

    /// Timestamp cost instead of the ping-pongs.
    @Flag(
        help:
            "Measure what one trace timestamp costs instead: clock_gettime(CLOCK_MONOTONIC) against the TSC trace clock, in --rounds interleaved rounds."
    )
    public var timestamps = false

    /// The engine's direct worker-to-worker handoff against the server round trip.
    @Flag(
        name: .customLong("worker-handoff"),
        help:
            "Measure the engine's direct worker-to-worker handoff instead: two workers on one server pass it back and forth by handoff and by yield, in --rounds interleaved rounds (--tracing adds traced runs; the first of --handoffs is the park mode)."
    )
    public var workerHandoff = false

    /// The adaptive handoff's cross-CPU spin budget.
    @Option(
        name: .customLong("spin-nanos"), parsing: .unconditional,
        help:
            "Nanoseconds the adaptive handoff spins before it sleeps in FUTEX_WAIT when its peer is on another CPU (0...10000000; default: the emulation's, 20000)."
    )
    public var spinNanos: Int?

    /// sched_yield calls after the adaptive spin.
    @Option(
        name: .customLong("spin-yields"), parsing: .unconditional,
        help: "sched_yield calls after an empty adaptive cross-CPU spin, before FUTEX_WAIT (0...10000).")
    public var spinYields: Int = 0

    /// Backend choice.
    @Option(help: "UMCG backend: auto, emulated or kernel (kernel fails unless umcg_ctl is detected).")
    public var backend: String = "auto"

    /// Explicit syscall number.
    @Option(
        name: .customLong("umcg-syscall"), parsing: .unconditional,
        help: "The umcg_ctl syscall number to probe (default: 450 on Nanos only).")
    public var umcgSyscall: Int?

    /// Seconds without progress before a run counts as stuck.
    @Option(
        name: .customLong("stuck-seconds"), parsing: .unconditional,
        help: "Seconds a run may go without completing a cycle before it is reported as stuck (0.1...600).")
    public var stuckSeconds: Double = BenchWatchdog.defaultStuckSeconds

    /// Test hook: this method's partner never answers.
    @Option(name: .customLong("simulate-stuck"), help: .hidden)
    public var simulateStuck: String?

    /// Scale benchmark instead of the ping-pongs.
    @Flag(help: "Run the scale benchmark (pingpong workload at several worker counts) instead.")
    public var scale = false

    /// Worker counts of the scale benchmark.
    @Option(name: .customLong("scale-workers"), help: "Comma-separated worker counts for --scale (1...100000 each).")
    public var scaleWorkers: String = ScaleBench.defaultWorkerCounts.map(String.init).joined(separator: ",")

    /// Seconds per worker count of the scale benchmark.
    @Option(
        name: .customLong("scale-seconds"), parsing: .unconditional,
        help: "Seconds measured per worker count for --scale (> 0, at most 600).")
    public var scaleSeconds: Double = 2

    /// Rounds of the scale benchmark.
    @Option(
        name: .customLong("scale-rounds"), parsing: .unconditional,
        help: "Interleaved rounds for --scale (1...100); the table shows the median per worker count.")
    public var scaleRounds: Int = 3

    /// Worker stack size of the scale benchmark.
    @Option(
        name: .customLong("stack-kib"), parsing: .unconditional,
        help: "Worker thread stack in KiB for --scale (16...8192, pooled 32...8192; default 64, pooled 32).")
    public var stackKiB: Int?

    /// Worker stack placement of the scale benchmark.
    @Option(
        name: .customLong("stacks"),
        help:
            "For --scale: system (glibc's, with guard pages) or pooled (one mapping on transparent huge pages, painted to measure the deepest use, no guard pages)."
    )
    public var stacks: String = WorkerStacks.system.rawValue

    /// Skip the futex floor.
    @Flag(name: .customLong("no-floor"), help: "For --scale: do not measure the futex floor after each engine run.")
    public var noFloor = false

    /// Futex hash policy of the scale benchmark.
    @Option(
        name: .customLong("futex-hash"),
        help:
            "For --scale: grow (the engine sizes the private futex hash for its threads) or kernel (the kernel's default, to compare)."
    )
    public var futexHash: String = "grow"

    public init() {}

    /// The scale plan the flags describe (valid after `validate()`).
    public var scalePlan: ScaleBench.Plan {
        get throws {
            var counts: [Int] = []
            for item in scaleWorkers.split(separator: ",", omittingEmptySubsequences: true) {
                guard let n = Int(item.trimmingSpaces), (1...Engine.maxWorkers).contains(n) else {
                    throw ValidationError(
                        "--scale-workers: '\(item.trimmingSpaces)' is not a count in 1...\(Engine.maxWorkers)")
                }
                counts.append(n)
            }
            guard !counts.isEmpty else { throw ValidationError("--scale-workers needs at least one count") }
            guard scaleSeconds.isFinite, scaleSeconds > 0, scaleSeconds <= 600 else {
                throw ValidationError("--scale-seconds must be > 0 and at most 600 (got \(scaleSeconds))")
            }
            guard (1...100).contains(scaleRounds) else {
                throw ValidationError("--scale-rounds must be between 1 and 100 (got \(scaleRounds))")
            }
            guard let placement = WorkerStacks(rawValue: stacks) else {
                throw ValidationError("--stacks must be system or pooled (got '\(stacks)')")
            }
            let stackBytes = stackKiB.map { $0 << 10 } ?? ScaleBench.defaultStackBytes(for: placement)
            guard (16 << 10...8192 << 10).contains(stackBytes) else {
                throw ValidationError("--stack-kib must be between 16 and 8192 (got \(stackKiB ?? 0))")
            }
            guard placement == .system || stackBytes >= WorkerStacks.minimumPooledBytes else {
                throw ValidationError(
                    "--stack-kib must be at least \(WorkerStacks.minimumPooledBytes >> 10) with --stacks pooled "
                        + "(no guard pages; got \(stackKiB ?? 0))")
            }
            guard let choice = BackendChoice(rawValue: backend) else {
                throw ValidationError("--backend must be auto, emulated or kernel (got '\(backend)')")
            }
            guard futexHash == "grow" || futexHash == "kernel" else {
                throw ValidationError("--futex-hash must be grow or kernel (got '\(futexHash)')")
            }
            var plan = ScaleBench.Plan(
                workerCounts: counts, seconds: scaleSeconds, stackBytes: stackBytes, backend: choice,
                umcgSyscall: umcgSyscall)
            plan.growFutexHash = futexHash == "grow"
            plan.rounds = scaleRounds
            plan.stacks = placement
            plan.floor = !noFloor
            return plan
        }
    }

    /// The backend the flags select (the engine's detection rule; never probes a number Linux uses).
    public var selection: BackendSelection {
        get throws {
            guard let choice = BackendChoice(rawValue: backend) else {
                throw ValidationError("--backend must be auto, emulated or kernel (got '\(backend)')")
            }
            do {
                return try BackendSelector().select(choice, explicitSyscall: umcgSyscall)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    /// The plan the flags describe (valid after `validate()`).
    public var plan: BenchPlan {
        get throws {
            BenchPlan(
                seconds: seconds, rounds: rounds, placements: try Self.placements(placement),
                methods: try Self.list(methods, of: BaselineMethod.allCases.map(\.description), flag: "--methods")
                    .compactMap { name in BaselineMethod.allCases.first { $0.description == name } },
                handoffs: try Self.list(handoffs, of: HandoffMode.allCases.map(\.rawValue), flag: "--handoffs")
                    .compactMap(HandoffMode.init(rawValue:)),
                tracing: tracing, umcgBackend: try selection.kind)
        }
    }

    /// The start-of-run policy check (`PolicyCheck.probe`); tests put a refusing one here.
    // SAFETY: written only by tests before they call `run()`, on the thread that then runs it.
    nonisolated(unsafe) static var policyProbe: (SchedulingPolicy) -> Errno? = PolicyCheck.probe

    /// What `run` measures: `plan`, plus the spin limit in every cross-cpu round unless `--no-limit`.
    public var runPlan: BenchPlan {
        get throws {
            var p = try plan
            p.limit = !noLimit
            guard let chosen = SchedulingPolicy(rawValue: policy) else {
                throw ValidationError("--policy must be other, fifo or rr (got \(policy))")
            }
            p.policy = chosen
            if let spinNanos {
                guard spinNanos >= 0, UInt64(spinNanos) <= EmulatedBackend.Options.maxSpinNanos else {
                    throw ValidationError(
                        "--spin-nanos must be between 0 and \(EmulatedBackend.Options.maxSpinNanos) (got \(spinNanos))")
                }
                p.spinNanos = UInt64(spinNanos)
            }
            guard (0...EmulatedBackend.Options.maxSpinYields).contains(spinYields) else {
                throw ValidationError(
                    "--spin-yields must be between 0 and \(EmulatedBackend.Options.maxSpinYields) (got \(spinYields))")
            }
            p.spinYields = spinYields
            return p
        }
    }

    public func validate() throws {
        guard seconds.isFinite, seconds > 0, seconds <= 60 else {
            throw ValidationError("--seconds must be > 0 and at most 60 (got \(seconds))")
        }
        guard (1...100).contains(rounds) else {
            throw ValidationError("--rounds must be between 1 and 100 (got \(rounds))")
        }
        guard stuckSeconds.isFinite, stuckSeconds >= 0.1, stuckSeconds <= 600 else {
            throw ValidationError("--stuck-seconds must be between 0.1 and 600 (got \(stuckSeconds))")
        }
        _ = try stuckMethod
        _ = try runPlan
        _ = try selection
        if scale { _ = try scalePlan }
    }

    /// `--simulate-stuck METHOD` (a test hook: that method's partner never answers).
    var stuckMethod: BenchMethod? {
        get throws {
            guard let simulateStuck else { return nil }
            guard let m = BenchMethod(rawValue: simulateStuck) else {
                throw ValidationError("--simulate-stuck must be condvar, futex, umcg or spin (got '\(simulateStuck)')")
            }
            return m
        }
    }

    /// The exit status of a bench where some run was stuck.
    public static let stuckExitCode: Int32 = 3

    public func run() throws {
        if scale { return try runScale() }
        if timestamps { return runTimestamps() }
        if workerHandoff { return try runWorkerHandoff() }
        let plan = try runPlan
        if let line = PolicyCheck.refusal(plan.policy, probe: Self.policyProbe) { throw ValidationError(line) }
        let selection = try selection
        let env = BenchEnvironment.current(selection: selection)
        let showProgress = FileDescriptor(rawValue: 2).isTerminal
        let runner = StandardBenchRunner(
            policy: plan.policy, backend: .selected(selection, spinNanos: plan.spinNanos, spinYields: plan.spinYields),
            stuckSeconds: stuckSeconds,
            simulateStuck: try stuckMethod)
        let report = BenchHarness.run(plan, runner: runner) { p in
            guard showProgress else { return }
            var err = BenchStderr()
            let what: String
            switch p.outcome {
            case .success(let r): what = "\(BenchOutput.fixed(r.result.cyclesPerSecond, 0)) cycles/s"
            case .failure(let e): what = e.stuck ? "stuck (\(e))" : "skipped (\(e))"
            }
            print("[\(p.step)/\(p.steps)] round \(p.round + 1): \(p.benchCase): \(what)", to: &err)
        }
        if json {
            print(BenchOutput.json(report, environment: env).rendered)
        } else {
            print(BenchOutput.text(report, environment: env))
        }
        if !report.stuck.isEmpty {
            var err = BenchStderr()
            let names = report.stuck.map(\.benchCase.description).joined(separator: ", ")
            print("umcgtop bench: stuck (no progress for \(BenchOutput.fixed(stuckSeconds, 1)) s): \(names)", to: &err)
            throw ExitCode(Self.stuckExitCode)
        }
        if report.results.isEmpty { throw ExitCode.failure }
    }

    /// `same-cpu`, `cross-cpu` or `all`.
    static func placements(_ value: String) throws -> [Placement] {
        switch value {
        case "all": return [.sameCPU, .crossCPU]
        case Placement.sameCPU.rawValue: return [.sameCPU]
        case Placement.crossCPU.rawValue: return [.crossCPU]
        case Placement.unpinned.rawValue: return [.unpinned]
        default: throw ValidationError("--placement must be same-cpu, cross-cpu, all or unpinned (got '\(value)')")
        }
    }

    /// A non-empty comma-separated subset of `allowed`, without duplicates, in the given order.
    static func list(_ value: String, of allowed: [String], flag: String) throws -> [String] {
        var out: [String] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: true) {
            let name = item.trimmingSpaces
            guard allowed.contains(name) else {
                throw ValidationError("\(flag): unknown value '\(name)' (expected \(allowed.joined(separator: ", ")))")
            }
            if !out.contains(name) { out.append(name) }
        }
        guard !out.isEmpty else {
            throw ValidationError("\(flag) needs at least one of \(allowed.joined(separator: ", "))")
        }
        return out
    }
}

extension Substring {
    /// Without leading/trailing spaces.
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
