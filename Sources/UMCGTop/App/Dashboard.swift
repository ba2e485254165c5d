import UMCGSystem
import UMCGTrace

/// Shows an event source the way `umcgtop` does: the terminal dashboard, or without a terminal
/// (`headless`) text frames every `interval` seconds or one JSON summary at the end.
///
/// A program shows its own engine in two lines:
/// ```swift
/// let source = try LiveSource(engine: engine, hub: hub)
/// exit(Dashboard.run(source))
/// ```
public enum Dashboard {
    /// How to show it (`umcgtop`'s own flags).
    public struct Presentation: Sendable {
        /// No terminal UI: print text frames (or `json` at the end).
        public var headless: Bool
        /// Stop after this many seconds (nil: until q or SIGINT/SIGTERM).
        public var duration: Double?
        /// Seconds between headless text frames.
        public var interval: Double
        /// Headless: one JSON summary at the end instead of text frames.
        public var json: Bool
        /// Redraw and rate-window interval in milliseconds.
        public var refreshMillis: Int
        /// ASCII instead of braille and block glyphs.
        public var ascii: Bool
        /// No colours (also when NO_COLOR is set).
        public var noColor: Bool
        /// Serve `/metrics` here (Prometheus text format), nil for none.
        public var metrics: MetricsAddress?
        /// Workers exposed one by one on `/metrics`; the rest are added up as `worker="other"`.
        public var metricsTopWorkers = 20

        /// Creates a presentation (defaults: the terminal dashboard until q).
        public init(
            headless: Bool = false, duration: Double? = nil, interval: Double = 1, json: Bool = false,
            refreshMillis: Int = 1000, ascii: Bool = false, noColor: Bool = false
        ) {
            self.headless = headless
            self.duration = duration
            self.interval = interval
            self.json = json
            self.refreshMillis = refreshMillis
            self.ascii = ascii
            self.noColor = noColor
        }
    }

    /// Runs until quit, the duration or a signal, then stops `source` (joining its threads and
    /// closing its recording) and restores the terminal. Returns the exit status (0, 128 + signal,
    /// 141 when stdout's reader left, 1 when a terminal was asked for and there is none).
    public static func run(_ source: EventSource, _ presentation: Presentation = Presentation()) -> Int32 {
        run(source, mode: .live, presentation)
    }

    /// `run` for a live, replay or attached source; `pendingSignal` says when the run must end
    /// for a signal (`umcgtop run` forwards SIGINT/SIGTERM to its command instead and returns nil).
    static func run(
        _ source: EventSource, mode: DashboardMode, _ p: Presentation,
        pendingSignal: @escaping () -> Int32? = { SignalMonitor.received }
    ) -> Int32 {
        SignalMonitor.install()
        defer { source.stop() }
        if !p.headless && !TerminalGuard.stdioIsTerminal {
            StandardStreams.errorLine("umcgtop: error: \(TerminalError.notATerminal)")
            return 1
        }
        var endpoint: MetricsEndpoint?
        var server: MetricsServer?
        if let address = p.metrics {
            let e = MetricsEndpoint(topWorkers: p.metricsTopWorkers)
            do {
                server = try MetricsServer(address: address, endpoint: e)
            } catch {
                StandardStreams.errorLine(
                    "umcgtop: error: cannot serve metrics on \(address.host):\(address.port): \(error)")
                return 1
            }
            endpoint = e
            if p.headless, let server {
                StandardStreams.errorLine("umcgtop: metrics on http://\(address.host):\(server.port)/metrics")
            }
        }
        // The server stops (its thread joined) before the source: a scrape never outlives the run.
        defer { server?.stop() }
        if p.headless {
            let options = DashboardOptions(ascii: true, color: false, refreshMillis: p.refreshMillis)
            let aggregator = Aggregator(info: source.info, mode: mode, options: options)
            aggregator.metricsSink = endpoint
            var runner = HeadlessRunner(
                source: source, aggregator: aggregator,
                duration: p.duration, interval: p.interval, json: p.json, refreshMillis: p.refreshMillis,
                pendingSignal: pendingSignal)
            let status = runner.run()
            return status == 0 ? source.failureStatus ?? 0 : status
        }
        let unicode = p.ascii ? false : TerminalLocale.configure()
        let env = ProcessEnvironment.current
        let color = !p.noColor && (env["NO_COLOR"] ?? "").isEmpty
        let options = DashboardOptions(ascii: !unicode, color: color, refreshMillis: p.refreshMillis)
        let screen: NcursesScreen
        do {
            screen = try NcursesScreen(color: color, unicode: unicode, environment: env)
        } catch {
            StandardStreams.errorLine("umcgtop: error: \(error)")
            return 1
        }
        let terminal = TerminalGuard(screen)
        defer { terminal.restore() }
        let aggregator = Aggregator(info: source.info, mode: mode, options: options)
        aggregator.metricsSink = endpoint
        let loop = DashboardLoop(
            screen: screen, source: source, aggregator: aggregator,
            configuration: .init(refreshMillis: p.refreshMillis), deadline: p.duration, pendingSignal: pendingSignal)
        let status = loop.run()
        source.stop()
        terminal.restore()
        return status == 0 ? source.failureStatus ?? 0 : status
    }
}
