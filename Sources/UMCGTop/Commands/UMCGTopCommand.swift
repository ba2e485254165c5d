import ArgumentParser

/// The `umcgtop` root command: the live dashboard by default, subcommands for the rest.
public struct UMCGTopCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "umcgtop",
        abstract: "Watch user-managed concurrency groups (UMCG) schedule workers, beside futex and condvar baselines.",
        subcommands: [BenchCommand.self, ReportCommand.self, ExportCommand.self]
    )

    public init() {}

    public func run() async throws {
        throw ValidationError("the live dashboard is not built yet; try 'umcgtop bench'")
    }
}
