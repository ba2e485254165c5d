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
        defer { source.stop() }
        let mode: DashboardMode = command.replay.map { .replay(name: $0) } ?? .live
        if command.headless {
            let options = DashboardOptions(ascii: true, color: false, refreshMillis: command.refresh)
            var runner = HeadlessRunner(
                source: source, aggregator: Aggregator(info: source.info, mode: mode, options: options),
                duration: command.duration, interval: command.interval ?? 1, json: command.json,
                refreshMillis: command.refresh)
            return runner.run()
        }
        let unicode = command.ascii ? false : TerminalLocale.configure()
        let env = ProcessEnvironment.current
        let color = !command.noColor && (env["NO_COLOR"] ?? "").isEmpty
        let options = DashboardOptions(ascii: !unicode, color: color, refreshMillis: command.refresh)
        let screen: NcursesScreen
        do {
            screen = try NcursesScreen(color: color, unicode: unicode, environment: env)
        } catch {
            StandardStreams.errorLine("umcgtop: error: \(error)")
            return 1
        }
        let terminal = TerminalGuard(screen)
        defer { terminal.restore() }
        let loop = DashboardLoop(
            screen: screen, source: source,
            aggregator: Aggregator(info: source.info, mode: mode, options: options),
            configuration: .init(refreshMillis: command.refresh), deadline: command.duration)
        let status = loop.run()
        source.stop()
        terminal.restore()
        return status
    }
}
