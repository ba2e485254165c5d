import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// One record the export loop reads, in file order.
enum ExportInputRecord: Sendable {
    case event(TraceEvent)
    case snapshot(Snapshot)
    case gap(timestamp: UInt64, count: UInt64)
}

/// What the export loop reads from: the trace reader, or a fake in tests.
protocol ExportInput {
    /// The trace header's run facts.
    var info: RunInfo { get }
    /// Events the file holds (for the size policy and the progress line).
    var eventCount: UInt64 { get }
    /// A one-line note when the file was cut short or corrupt at the end, else nil.
    var truncationWarning: String? { get }
    /// Calls `body` with every readable record in order. Returns the file's one warning line when
    /// reading stopped early at a bad record (what came before it was exported; it replaces
    /// `truncationWarning`), else nil.
    func forEachRecord(_ body: (ExportInputRecord) throws(ExportFailure) -> Void) throws(ExportFailure) -> String?
}

/// Where the export command prints: the summary, warnings and the progress line.
struct ExportConsole {
    /// Prints a line to stdout.
    var out: (String) -> Void
    /// Prints a line to stderr.
    var err: (String) -> Void
    /// Overwrites the progress line on stderr (nil when stderr is not a TTY).
    var progress: ((String) -> Void)?
    /// A signal that asks the export to stop (polled between records), nil to go on.
    var interruption: () -> Int32? = { nil }
}

/// The export loop: reads records from an input, streams them into an exporter and a file.
enum ExportRunner {
    /// Records between two progress updates.
    static let progressEvery = 65_536
    /// Records between two checks for SIGINT/SIGTERM.
    static let interruptionEvery = 1_024

    /// Exports `input` to `outputPath` in `format`; returns what was written.
    @discardableResult
    static func run(
        input: some ExportInput, format: ExportFormat, outputPath: String, force: Bool,
        policy: ExportSizePolicy = ExportSizePolicy(), console: ExportConsole
    ) throws(ExportFailure) -> ExportStats {
        if let warning = try policy.check(events: input.eventCount, format: format, force: force) {
            console.err("umcgtop: warning: \(warning)")
        }
        var file = try ExportFileSink(path: outputPath, force: force)
        let stats: ExportStats
        var readWarning: String?
        do throws(ExportFailure) {
            switch format {
            case .perfetto:
                var exporter = PerfettoExporter(info: input.info, output: file)
                defer { file = exporter.sink }
                readWarning = try pump(input, into: &exporter, console: console)
                stats = exporter.stats
            case .chromeJSON:
                var exporter = ChromeTraceExporter(info: input.info, output: file)
                defer { file = exporter.sink }
                readWarning = try pump(input, into: &exporter, console: console)
                stats = exporter.stats
            }
            do throws(ExportError) { try file.close() } catch { throw ExportFailure(error) }
            try file.commit()
        } catch {
            file.discard()
            // End the progress line before the error line (an interrupted export too).
            console.progress?("")
            throw error
        }
        // One warning line: where reading stopped replaces (and names) the scan's warning.
        if let warning = readWarning ?? input.truncationWarning { console.err("umcgtop: warning: \(warning)") }
        return stats
    }

    /// Feeds every record to `exporter` and finishes it, updating the progress line;
    /// returns the input's warning if reading stopped early.
    static func pump<E: TraceExporter>(
        _ input: some ExportInput, into exporter: inout E, console: ExportConsole
    ) throws(ExportFailure) -> String? {
        var records = 0
        let total = max(input.eventCount, 1)
        let warning = try input.forEachRecord { (record: ExportInputRecord) throws(ExportFailure) in
            do throws(ExportError) {
                switch record {
                case .event(let event): try exporter.add(event)
                case .snapshot(let snapshot): try exporter.add(snapshot)
                case .gap(let timestamp, let count): try exporter.addGap(timestamp: timestamp, count: count)
                }
            } catch {
                throw ExportFailure(error)
            }
            records += 1
            if records % interruptionEvery == 0, let signal = console.interruption() {
                throw .interrupted(signal: signal)
            }
            if records % progressEvery == 0, let progress = console.progress {
                let percent = min(100, exporter.stats.events * 100 / total)
                progress("umcgtop: exporting \(percent)% (\(exporter.stats.events) of \(total) events)")
            }
        }
        do throws(ExportError) { try exporter.finish() } catch { throw ExportFailure(error) }
        console.progress?("")
        return warning
    }
}
