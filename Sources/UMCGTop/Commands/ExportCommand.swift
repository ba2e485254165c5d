import ArgumentParser
import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// `umcgtop export FILE (--perfetto OUT | --chrome-json OUT) [--force]`: converts a recorded
/// trace for Perfetto's UI (ui.perfetto.dev) or Chrome's trace viewer. See docs/Export.md.
public struct ExportCommand: ParsableCommand {
    /// Name, abstract and discussion for `--help`.
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Convert a recorded .umcgtrace to Perfetto (.pftrace) or Chrome trace JSON.",
        discussion: """
            Perfetto shows each server as a CPU lane with its workers' run slices and thread states, \
            plus switches/s counters for UMCG and the futex and condvar baselines. \
            Chrome JSON is for small traces: it is refused above 1,000,000 events unless --force.
            """)

    /// The recorded trace.
    @Argument(help: "The .umcgtrace file to export.")
    public var file: String

    /// Perfetto output path.
    @Option(
        name: .customLong("perfetto"), help: ArgumentHelp("Write a Perfetto trace (.pftrace) here.", valueName: "OUT"))
    public var perfettoOutput: String?

    /// Chrome JSON output path.
    @Option(name: .customLong("chrome-json"), help: ArgumentHelp("Write Chrome trace JSON here.", valueName: "OUT"))
    public var chromeOutput: String?

    /// Overwrite and size override.
    @Flag(help: "Overwrite OUT if it exists, and write Chrome JSON past its size limit.")
    public var force = false

    /// Creates the command (ArgumentParser fills the options).
    public init() {}

    /// Requires exactly one of `--perfetto` and `--chrome-json`.
    public func validate() throws {
        switch (perfettoOutput, chromeOutput) {
        case (nil, nil): throw ValidationError("give one output: --perfetto OUT.pftrace or --chrome-json OUT.json")
        case (.some, .some): throw ValidationError("give only one of --perfetto and --chrome-json")
        default: break
        }
    }

    /// The chosen format and output path.
    var target: (format: ExportFormat, path: String) {
        if let chromeOutput { return (.chromeJSON, chromeOutput) }
        return (.perfetto, perfettoOutput ?? "")
    }

    /// Exports, printing `umcgtop: error: …` and exiting non-zero on failure.
    public func run() throws {
        // SIGINT/SIGTERM/SIGHUP stop the export between records, so the partial output is removed.
        SignalMonitor.install()
        let console = ExportConsole.standard()
        do {
            try Self.export(file: file, format: target.format, output: target.path, force: force, console: console)
        } catch {
            console.err("umcgtop: error: \(error)")
            throw ExitCode(error.exitCode)
        }
    }

    /// The command's code path without argument parsing: open, export, print the summary.
    @discardableResult
    static func export(
        file: String, format: ExportFormat, output: String, force: Bool,
        policy: ExportSizePolicy = ExportSizePolicy(), console: ExportConsole
    ) throws(ExportFailure) -> ExportStats {
        if ExportFileSink.sameFile(file, output) { throw .cannotCreate(output, "it is the input file") }
        let input = try TraceFileInput(path: file)
        let stats = try ExportRunner.run(
            input: input, format: format, outputPath: output, force: force, policy: policy, console: console)
        var notes = ""
        if stats.clampedTimestamps > 0 { notes += "; \(stats.clampedTimestamps) late timestamps clamped" }
        if stats.ignoredEvents > 0 {
            notes += "; \(stats.ignoredEvents) events without a usable server or worker skipped"
        }
        console.out(
            "exported \(stats.events) events (\(stats.switches) switches, \(stats.gaps) gaps) to \(output) (\(stats.bytes) bytes)\(notes)"
        )
        return stats
    }
}
