import UMCGSystem
import UMCGTrace

/// Runs the root command: picks the source, then the terminal UI or the headless printer.
///
/// Shutdown order on every path: the run loop returns (q, end of --duration, SIGINT/SIGTERM
/// seen as a flag), the source stops (engine and baselines joined, the recording finished
/// and closed), then the terminal is restored.
enum AppRunner {
    /// Returns the exit status.
    static func run(_ command: DashboardCommand) throws -> Int32 {
        SignalMonitor.install()
        if !command.headless && !TerminalGuard.stdioIsTerminal {
            StandardStreams.errorLine("umcgtop: error: \(TerminalError.notATerminal)")
            return 1
        }
        let source: EventSource
        do {
            source = try SourceFactory.make(command)
        } catch let failure as AppFailure {
            StandardStreams.errorLine("umcgtop: error: \(failure.message)")
            return failure.status
        }
        let mode: DashboardMode
        if let attached = source as? AttachSource {
            mode = .attached(pid: attached.pid, command: attached.commandName)
        } else {
            mode = command.replay.map { .replay(name: $0) } ?? .live
        }
        var presentation = Dashboard.Presentation(
            headless: command.headless, duration: command.duration, interval: command.interval ?? 1,
            json: command.json, refreshMillis: command.refresh, ascii: command.ascii, noColor: command.noColor)
        presentation.metrics = command.metrics.flatMap(MetricsAddress.init)
        presentation.metricsTopWorkers = command.metricsTopWorkers
        return Dashboard.run(source, mode: mode, presentation)
    }
}
