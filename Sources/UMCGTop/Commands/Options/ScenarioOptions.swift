import ArgumentParser
import UMCGEngine
import UMCGSystem

// The engine's own enums are the option values: one list of workloads and backends, one spelling.
extension BuiltinWorkload: ExpressibleByArgument {}
extension BackendChoice: ExpressibleByArgument {}

/// The scenario flags shared by the live dashboard, `--record` and `--headless`.
public struct ScenarioOptions: ParsableArguments, Sendable {
    @Option(
        parsing: .unconditional,
        help: "Server threads, 1-\(Engine.maxServers) (default: the CPUs this process may use).")
    public var servers: Int?

    @Option(parsing: .unconditional, help: "Worker threads, 1-\(Engine.maxWorkers).")
    public var workers: Int = Self.defaultWorkers

    @Option(help: "What the workers do.")
    public var workload: BuiltinWorkload = Self.defaultWorkload

    @Option(help: "The umcg_ctl implementation (auto: the kernel's when detected, else the emulation).")
    public var backend: BackendChoice = Self.defaultBackend

    @Option(
        name: .customLong("umcg-syscall"), parsing: .unconditional,
        help: "The umcg_ctl syscall number of this kernel (kernel backend).")
    public var umcgSyscall: Int?

    @Option(name: .customLong("slice-ms"), parsing: .unconditional, help: "Preemption time slice in milliseconds.")
    public var sliceMillis: Int = Self.defaultSliceMillis

    @Flag(name: .customLong("no-baselines"), help: "Do not run the futex, condvar and UMCG ping-pong baselines.")
    public var noBaselines = false

    /// The defaults (the flags' values when not given).
    static let defaultWorkers = 8
    static let defaultWorkload = BuiltinWorkload.mixed
    static let defaultBackend = BackendChoice.auto
    static let defaultSliceMillis = 100

    /// Creates the defaults.
    public init() {}

    /// Counts and numbers in range, as one-line `ValidationError`s.
    public func validate() throws {
        if let servers, servers < 1 { throw ValidationError("--servers must be at least 1 (got \(servers))") }
        if let servers, servers > Engine.maxServers {
            throw ValidationError("--servers must be at most \(Engine.maxServers) (got \(servers))")
        }
        if workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        if workers > Engine.maxWorkers {
            throw ValidationError("--workers must be at most \(Engine.maxWorkers) (got \(workers))")
        }
        if sliceMillis < 1 || sliceMillis > 10_000 {
            throw ValidationError("--slice-ms must be between 1 and 10000 (got \(sliceMillis))")
        }
        if let umcgSyscall, umcgSyscall < 0 || umcgSyscall > 4095 {
            throw ValidationError("--umcg-syscall must be between 0 and 4095 (got \(umcgSyscall))")
        }
    }

    /// The scenario flags given with a value other than their default, spelled as on the command
    /// line: they describe an engine umcgtop starts, so `--attach` and `--replay` refuse them.
    public var flagsAwayFromDefaults: [String] {
        var given: [String] = []
        if servers != nil { given.append("--servers") }
        if workers != Self.defaultWorkers { given.append("--workers") }
        if workload != Self.defaultWorkload { given.append("--workload") }
        if backend != Self.defaultBackend { given.append("--backend") }
        if umcgSyscall != nil { given.append("--umcg-syscall") }
        if sliceMillis != Self.defaultSliceMillis { given.append("--slice-ms") }
        if noBaselines { given.append("--no-baselines") }
        return given
    }

    /// `--servers`, or the CPUs this process may run on (at least 1).
    public var resolvedServers: Int {
        if let servers { return servers }
        return CPU.count
    }
}
