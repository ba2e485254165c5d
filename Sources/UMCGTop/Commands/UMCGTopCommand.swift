import ArgumentParser
import UMCGSystem
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// The `umcgtop` root command: the dashboard (live, `--record`, `--replay`, `--headless`) is its
/// default subcommand, so `umcgtop [options]` runs it; `bench`, `report` and `export` are the rest.
///
/// Why a default subcommand instead of options on the root: ArgumentParser lets a parent's
/// options appear after a subcommand's name and gives them to the parent, so root options such
/// as `--json` or `--force` would steal `bench --json` and `export --force`.
public struct UMCGTopCommand: ParsableCommand {
    /// The subcommands, with the dashboard as the default.
    public static let configuration = CommandConfiguration(
        commandName: "umcgtop",
        abstract: "Watch user-managed concurrency groups (UMCG) schedule workers, beside futex and condvar baselines.",
        discussion: """
            'umcgtop [options]' runs the dashboard: see 'umcgtop help dashboard' for its options.
            """,
        version: UMCGTopCommand.version,
        subcommands: [
            DashboardCommand.self, BenchCommand.self, ReportCommand.self, ExportCommand.self, RunCommand.self,
            PsCommand.self,
        ],
        defaultSubcommand: DashboardCommand.self
    )

    /// `umcgtop --version`.
    public static let version = "umcgtop 0.2.0 (trace format \(TraceFormat.version))"

    /// Creates the root command.
    public init() {}

    /// What `umcgtop ARGUMENTS` does, without running it: the text for stdout, one line for stderr,
    /// or a command to run.
    public enum Parsed {
        /// `--help`, `--version`, `help COMMAND`: print this and exit 0.
        case text(String)
        /// A refusal: this one line on stderr and this exit status.
        case refusal(String, Int32)
        /// Run this command.
        case run(any ParsableCommand)
    }

    /// Parses `arguments` (without the program name). Every refusal is one line: ArgumentParser's
    /// usage lines are left out (`--help` shows them), and `help` with an unknown command is an
    /// error (exit 64), not help for the root.
    public static func parse(_ arguments: [String]) -> Parsed {
        if arguments.first == "help", arguments.count > 1 {
            let known = configuration.subcommands.map { $0._commandName }
            let name = arguments[1]
            if !known.contains(name) {
                return .refusal("unknown command '\(name)' (commands: \(known.joined(separator: ", ")))", 64)
            }
        }
        do {
            return .run(try parseAsRoot(arguments))
        } catch {
            return outcome(of: error)
        }
    }

    /// What an error thrown while parsing or running means: help text (exit 0) or a one-line refusal.
    static func outcome(of error: any Error) -> Parsed {
        let code = exitCode(for: error).rawValue
        if code == 0 { return .text(fullMessage(for: error)) }
        return .refusal(message(for: error).split(separator: "\n").first.map(String.init) ?? "", code)
    }

    /// The process's entry point: parses, runs on the calling (main) thread, exits. Errors a command
    /// throws after parsing (`ValidationError` from its own checks, `ExitCode`) keep the same rules.
    public static func runAsMain(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        var parsed = parse(arguments)
        if case .run(var command) = parsed {
            // `help COMMAND` runs as a command that throws its help text; errors follow the same rules.
            do {
                try command.run()
                Glibc.exit(0)
            } catch {
                parsed = outcome(of: error)
            }
        }
        switch parsed {
        case .text(let text):
            _ = StandardStreams.out(text.hasSuffix("\n") ? text : text + "\n")
            Glibc.exit(0)
        case .refusal(let line, let code):
            if !line.isEmpty { StandardStreams.errorLine("umcgtop: error: \(line)") }
            Glibc.exit(code)
        case .run:
            Glibc.exit(0)  // unreachable: a command ran above
        }
    }
}
