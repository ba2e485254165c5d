import UMCGSystem
import ArgumentParser

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
        subcommands: [DashboardCommand.self, BenchCommand.self, ReportCommand.self, ExportCommand.self],
        defaultSubcommand: DashboardCommand.self
    )

    /// Creates the root command.
    public init() {}
}
