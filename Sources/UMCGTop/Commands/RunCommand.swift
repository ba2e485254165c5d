import ArgumentParser
import Glibc
import UMCGSystem

/// `umcgtop run [options] -- CMD ARGS…`: starts CMD under `libumcg.so` with publishing on
/// (`UMCGTOP_PUBLISH=1`), attaches to it as `--attach` does, and exits with CMD's status.
public struct RunCommand: ParsableCommand {
    /// Name, help text and exit statuses.
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command under libumcg.so with publishing on and show its scheduler live.",
        discussion: """
            CMD runs with LD_PRELOAD=libumcg.so (found next to the umcgtop binary, or UMCGTOP_PRELOAD) \
            and UMCGTOP_PUBLISH=1, in its own process group: SIGINT and SIGTERM sent to umcgtop are \
            forwarded to it. umcgtop waits for its region, shows it as 'umcgtop --attach' does, and when \
            CMD exits shows its exit status (q then leaves). Quitting earlier (q, --duration) detaches \
            and waits for CMD. A CMD that never publishes is waited for too, with "no UMCG activity".
            In the terminal UI, CMD's stdin is /dev/null and its output goes to --output (default /dev/null).

            Exit status: CMD's (128 + signal when a signal killed it); 127 when CMD cannot be found, \
            126 when it cannot be run; 1 when libumcg.so is missing or there is no terminal \
            (use --headless); 64 for invalid options. See docs/Dashboard.md.
            """
    )

    @Option(help: ArgumentHelp("Record what CMD does to FILE (.umcgtrace).", valueName: "file"))
    public var record: String?

    @Flag(help: "Overwrite the --record file if it exists.")
    public var force = false

    @Flag(help: "No terminal UI: print text frames (or --json at the end) until CMD exits.")
    public var headless = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Stop watching after SECONDS (umcgtop still waits for CMD).", valueName: "seconds"))
    public var duration: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Headless: print a text frame every SECONDS (default 1).", valueName: "seconds"))
    public var interval: Double?

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
        parsing: .unconditional,
        help: ArgumentHelp(
            "Wait this long for CMD's region before giving up watching.", valueName: "seconds"))
    public var publishTimeout: Double = 10

    @Option(
        help: ArgumentHelp("Terminal UI: CMD's stdout and stderr go to FILE (default /dev/null).", valueName: "file"))
    public var output: String?

    @Flag(
        name: .customLong("sud"),
        help: ArgumentHelp(
            "Catch every system call CMD's workers make, raw syscall instructions included (UMCG_SUD=1: "
                + "Syscall User Dispatch, Linux 5.11+, x86-64, about 1.2 µs a call)."))
    public var syscallDispatch = false

    @Argument(
        parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "cmd"))
    public var command: [String] = []

    /// Creates the command with default options (ArgumentParser fills them).
    public init() {}

    /// Flag combinations as one-line `ValidationError`s.
    public func validate() throws {
        if command.isEmpty { throw ValidationError("run needs a command after --: umcgtop run -- CMD ARGS…") }
        if let duration, !(duration > 0) || !duration.isFinite {
            throw ValidationError("--duration must be a positive number of seconds (got \(duration))")
        }
        if let interval, !(interval > 0) || !interval.isFinite {
            throw ValidationError("--interval must be a positive number of seconds (got \(interval))")
        }
        if !(publishTimeout > 0) || !publishTimeout.isFinite {
            throw ValidationError("--publish-timeout must be a positive number of seconds (got \(publishTimeout))")
        }
        if json && !headless { throw ValidationError("--json needs --headless") }
        if interval != nil && !headless { throw ValidationError("--interval needs --headless") }
        if output != nil && headless { throw ValidationError("--output applies to the terminal UI, not --headless") }
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
    }

    /// Runs CMD and watches it (see `CommandRun`); a non-zero status becomes `ExitCode`.
    public func run() throws {
        let status = CommandRun.run(self)
        if status != 0 { throw ExitCode(status) }
    }
}
