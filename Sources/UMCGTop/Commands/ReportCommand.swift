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

    /// Prints the report (streamed to stdout in pieces) and exits with the documented status.
    public func run() throws {
        let status = Self.execute(
            path: file, json: json, stdout: { Self.write($0, to: 1) }, stderr: { Self.write($0, to: 2) })
        if status != 0 { throw ExitCode(status) }
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

    /// Reads `path` and renders the report into strings (tests call this directly).
    public static func execute(path: String, json: Bool) -> Outcome {
        var out = ""
        var err = ""
        let status = execute(path: path, json: json, stdout: { out += $0 }, stderr: { err += $0 })
        return Outcome(stdout: out, stderr: err, exitCode: status)
    }

    /// Reads `path` and renders the report, handing stdout text to `stdout` in pieces of about 64 KiB
    /// (a report never exists as one giant string); returns the exit status.
    /// A file that stops at an undecodable record is reported up to it, with one warning line and status 0.
    public static func execute(
        path: String, json: Bool, stdout: (String) -> Void, stderr: (String) -> Void
    ) -> Int32 {
        let shownPath = DisplayText.sanitized(path, maxWidth: 256)
        let report: TraceReport
        do {
            report = try TraceReport(reader: TraceReader.open(path: path))
        } catch let error as TraceFileError {
            stderr("umcgtop: error: \(shownPath): \(DisplayText.sanitized(message(error)))\n")
            return exitCode(error)
        } catch {
            stderr("umcgtop: error: \(shownPath): \(DisplayText.sanitized("\(error)"))\n")
            return ioErrorExit
        }
        if let warning = report.warning {
            stderr("umcgtop: warning: \(shownPath): \(DisplayText.sanitized(warning))\n")
        }
        var buffer = ""
        let emit: (String) -> Void = { piece in
            buffer += piece
            if buffer.utf8.count >= 1 << 16 {
                stdout(buffer)
                buffer = ""
            }
        }
        if json {
            ReportFormatter.json(report, into: emit)
        } else {
            ReportFormatter.text(report, path: path, into: emit)
        }
        if !buffer.isEmpty { stdout(buffer) }
        return 0
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
