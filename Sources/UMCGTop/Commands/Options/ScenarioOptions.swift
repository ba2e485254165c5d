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
    public var workers: Int = 8

    @Option(help: "What the workers do.")
    public var workload: BuiltinWorkload = .mixed

    @Option(help: "The umcg_ctl implementation (auto: the kernel's when detected, else the emulation).")
    public var backend: BackendChoice = .auto

    @Option(
        name: .customLong("umcg-syscall"), parsing: .unconditional,
        help: "The umcg_ctl syscall number of this kernel (kernel backend).")
    public var umcgSyscall: Int?

    @Option(name: .customLong("slice-ms"), parsing: .unconditional, help: "Preemption time slice in milliseconds.")
    public var sliceMillis: Int = 100

    @Flag(name: .customLong("no-baselines"), help: "Do not run the futex, condvar and UMCG ping-pong baselines.")
    public var noBaselines = false

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

    /// `--servers`, or the CPUs this process may run on (at least 1).
    public var resolvedServers: Int {
        if let servers { return servers }
        return CPU.count
    }
}
