import ArgumentParser
import Glibc
import UMCGEngine
import UMCGSystem

/// `umcgtop [dashboard]`: the live dashboard on the embedded scenario, or a recording
/// (`--record`), a replay (`--replay`), or a run without a terminal (`--headless`).
public struct DashboardCommand: ParsableCommand {
    /// Name, help text and exit statuses.
    public static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Show the scheduler live (the default command), record it, replay a recording, or run headless.",
        discussion: """
            With no options umcgtop runs its embedded scenario and shows it live. \
            Keys: q quit, ? help, space pause, arrows move (and seek in replay), + - refresh or speed.

            Exit status: 0 after q or the end of --duration; 129, 130, 143 after SIGHUP, SIGINT, SIGTERM, \
            and 141 when a headless run's stdout closes (a recording is finished and closed first); \
            1 for errors such as "not a terminal" (use --headless in scripts); 64 for invalid options; \
            65, 66, 74 for a --replay file that is damaged, missing or unreadable; \
            with --attach, 66 when the process publishes no region, 77 when it is another user's, \
            65 when its region is invalid. --attach ends when the process exits (headless) or on q.

            NO_COLOR in the environment turns colours off like --no-color. See docs/Dashboard.md.
            """
    )

    @OptionGroup(title: "Scenario")
    public var scenario: ScenarioOptions

    @Option(help: ArgumentHelp("Record the live run to FILE (.umcgtrace).", valueName: "file"))
    public var record: String?

    @Flag(help: "Overwrite the --record file if it exists.")
    public var force = false

    @Option(help: ArgumentHelp("Replay a recorded FILE instead of running the engine.", valueName: "file"))
    public var replay: String?

    @Option(
        help: ArgumentHelp(
            "Watch process PID's engine (its shared-memory region) instead of running one; see 'umcgtop ps'.",
            valueName: "pid"))
    public var attach: Int32?

    @Flag(help: "No terminal UI: run, print text frames (or --json at the end) and exit.")
    public var headless = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Stop after SECONDS (default: run until q or a signal).", valueName: "seconds"))
    public var duration: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Headless: print a text frame every SECONDS (default 1).", valueName: "seconds"))
    public var interval: Double?

    @Flag(help: "Headless --replay: play at 64× the recorded pace instead of as fast as the file reads.")
    public var pace = false

    @Flag(help: "Headless: print one JSON summary object at the end instead of text frames.")
    public var json = false

    @Flag(name: .customLong("no-color"), help: "No colours (also when NO_COLOR is set).")
    public var noColor = false

    @Flag(help: "Draw with ASCII only (no braille, blocks or symbols).")
    public var ascii = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Redraw and rate-window interval in milliseconds (100…10000).", valueName: "ms"))
    public var refresh: Int = 1000

    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics on http://ADDR:PORT/metrics (loopback only unless --metrics-allow-remote).",
            valueName: "addr:port"))
    public var metrics: String?

    @Flag(help: "Let --metrics bind an address other machines can reach (0.0.0.0, a LAN address).")
    public var metricsAllowRemote = false

    @Option(
        help: ArgumentHelp(
            "Workers exposed one by one on /metrics, busiest first; the rest add up to worker=\"other\" (0…1000).",
            valueName: "n"))
    public var metricsTopWorkers: Int = 20

    /// Creates the command with default options (ArgumentParser fills them).
    public init() {}

    /// Flag combinations as one-line `ValidationError`s.
    public func validate() throws {
        if record != nil && replay != nil { throw ValidationError("--record and --replay cannot be used together") }
        if let duration, !(duration > 0) || !duration.isFinite {
            throw ValidationError("--duration must be a positive number of seconds (got \(duration))")
        }
        if let interval, !(interval > 0) || !interval.isFinite {
            throw ValidationError("--interval must be a positive number of seconds (got \(interval))")
        }
        if json && !headless { throw ValidationError("--json needs --headless") }
        if interval != nil && !headless { throw ValidationError("--interval needs --headless") }
        if pace && (!headless || replay == nil) { throw ValidationError("--pace needs --headless and --replay") }
        if !(100...10_000).contains(refresh) {
            throw ValidationError("--refresh must be between 100 and 10000 ms (got \(refresh))")
        }
        if force && record == nil { throw ValidationError("--force only applies to --record") }
        if let record {
            if record.isEmpty { throw ValidationError("--record needs a file name") }
            if FilePath.kind(record) == .directory {
                throw ValidationError("\(record) is a directory; give a file name for --record")
            }
            if !force && access(record, F_OK) == 0 {
                throw ValidationError("\(record) already exists; use --force to overwrite it")
            }
        }
        if let replay, replay.isEmpty { throw ValidationError("--replay needs a file name") }
        if let attach {
            if replay != nil { throw ValidationError("--attach and --replay cannot be used together") }
            if attach <= 0 { throw ValidationError("--attach needs a process id above 0 (got \(attach))") }
        }
        if attach != nil || replay != nil {
            let given = scenario.flagsAwayFromDefaults
            if !given.isEmpty {
                let source =
                    attach != nil
                    ? "--attach (the process runs its own scheduler)"
                    : "--replay (the recording has its own scenario)"
                throw ValidationError("\(given.joined(separator: ", ")) cannot be used with \(source)")
            }
        }
        try validateMetrics()
        if scenario.backend == .kernel && replay == nil && attach == nil {
            // The engine's own selection rule (never probes a number Linux uses for another call).
            do {
                _ = try BackendSelector().select(.kernel, explicitSyscall: scenario.umcgSyscall)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    /// `--metrics`, `--metrics-allow-remote` and `--metrics-top-workers` as one-line errors.
    func validateMetrics() throws {
        if !(0...1000).contains(metricsTopWorkers) {
            throw ValidationError("--metrics-top-workers must be between 0 and 1000 (got \(metricsTopWorkers))")
        }
        guard let metrics else {
            if metricsAllowRemote { throw ValidationError("--metrics-allow-remote only applies to --metrics") }
            return
        }
        guard let address = MetricsAddress(metrics) else {
            throw ValidationError("--metrics wants ADDR:PORT, e.g. 127.0.0.1:9464 (got \(metrics))")
        }
        if !address.isLoopback && !metricsAllowRemote {
            throw ValidationError(
                "--metrics \(metrics) is not a loopback address; add --metrics-allow-remote to let other machines scrape it"
            )
        }
    }

    /// Runs the dashboard (see `AppRunner`); a non-zero status becomes `ExitCode`.
    public func run() throws {
        let status = try AppRunner.run(self)
        if status != 0 { throw ExitCode(status) }
    }
}
