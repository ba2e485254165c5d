import ArgumentParser
import UMCGAnalysis
import UMCGSystem
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// `umcgtop report FILE [--json]`: a trace file's summary and per-worker scheduling statistics.
///
/// Exit status: 0 (also for a truncated or tail-corrupt file, with a warning on stderr),
/// 65 when the file is not a readable trace (bad header, magic, version, lengths), 66 when it cannot be opened,
/// 74 on a read error. Errors are one line: `umcgtop: error: FILE: <reason> at offset N`.
public struct ReportCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise a .umcgtrace file: totals and per-worker switch, block and wake-to-run statistics.")

    @Argument(help: "The .umcgtrace file to read.")
    var file: String

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    public init() {}

    /// Prints the report and exits with the documented status.
    public func run() throws {
        let outcome = Self.execute(path: file, json: json)
        Self.write(outcome.stdout, to: 1)
        Self.write(outcome.stderr, to: 2)
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }

    /// What the command prints and its exit status (tests call this directly).
    public struct Outcome: Sendable {
        /// Text for standard output.
        public var stdout: String
        /// Text for standard error (a warning or an error line).
        public var stderr: String
        /// The exit status (0, 65, 66 or 74).
        public var exitCode: Int32
    }

    /// Exit status for data errors (EX_DATAERR).
    public static let dataErrorExit: Int32 = 65
    /// Exit status when the file cannot be opened (EX_NOINPUT).
    public static let noInputExit: Int32 = 66
    /// Exit status for read errors (EX_IOERR).
    public static let ioErrorExit: Int32 = 74

    /// Reads `path` and renders the report.
    public static func execute(path: String, json: Bool) -> Outcome {
        let report: TraceReport
        do {
            report = try TraceReport(reader: TraceReader.open(path: path))
        } catch let error as TraceFileError {
            return Outcome(
                stdout: "", stderr: "umcgtop: error: \(path): \(message(error))\n", exitCode: exitCode(error))
        } catch {
            return Outcome(stdout: "", stderr: "umcgtop: error: \(path): \(error)\n", exitCode: ioErrorExit)
        }
        var stderr = ""
        if let warning = report.summary.warning {
            stderr = "umcgtop: warning: \(path): \(warning)\n"
        }
        let stdout = json ? ReportFormatter.json(report) : ReportFormatter.text(report, path: path)
        return Outcome(stdout: stdout, stderr: stderr, exitCode: 0)
    }

    /// "<reason> at offset N" for data errors, "open failed: …" for system errors (the path is printed before it).
    static func message(_ error: TraceFileError) -> String {
        if case .system = error { return error.reason }
        if case .notRegularFile = error { return error.reason }
        return error.description
    }

    static func exitCode(_ error: TraceFileError) -> Int32 {
        switch error {
        case .invalid, .closed: dataErrorExit
        case .notRegularFile: noInputExit
        case .system(let operation, _, _): operation == "open" || operation == "stat" ? noInputExit : ioErrorExit
        }
    }

    private static func write(_ text: String, to fd: Int32) {
        try? FileDescriptor(rawValue: fd).writeAll(text)
    }
}
