import Glibc
import UMCGSystem
import UMCGTrace

/// `--headless`: runs the source without a terminal, prints a text frame every `interval`
/// seconds (or one JSON summary at the end with `json`), and stops after `duration`
/// seconds or at SIGINT/SIGTERM (the summary is still printed, the recording still closed).
public struct HeadlessRunner {
    private let source: EventSource
    private var aggregator: Aggregator
    private let duration: Double?
    private let interval: Double
    private let json: Bool
    private let refreshMillis: Int
    private let clock: () -> UInt64
    private let pendingSignal: () -> Int32?
    private let output: (String) -> Bool
    private let nap: (UInt64) -> Void
    private var meter = UICPUMeter()
    /// Events folded so far.
    public private(set) var eventsFolded = 0
    /// The note already printed on stderr, if any.
    private var reportedNote: String?
    private let errorLine: (String) -> Void

    /// Creates a runner; `output` receives frames and the summary (stdout by default) and returns false
    /// when the reader went away (EPIPE): the run then ends as if by SIGPIPE (status 141).
    public init(
        source: EventSource, aggregator: Aggregator, duration: Double?, interval: Double, json: Bool,
        refreshMillis: Int, clock: @escaping () -> UInt64 = { SystemClock.monotonicNanos() },
        pendingSignal: @escaping () -> Int32? = { SignalMonitor.received },
        output: @escaping (String) -> Bool = StandardStreams.out,
        errorLine: @escaping (String) -> Void = StandardStreams.errorLine,
        sleep: @escaping (UInt64) -> Void = HeadlessRunner.sleep(nanos:)
    ) {
        nap = sleep
        self.errorLine = errorLine
        self.source = source
        self.aggregator = aggregator
        self.duration = duration
        self.interval = interval
        self.json = json
        self.refreshMillis = refreshMillis
        self.clock = clock
        self.pendingSignal = pendingSignal
        self.output = output
    }

    /// The status after stdout's reader went away (128 + SIGPIPE, as if the signal had killed us).
    public static let brokenPipeStatus: Int32 = 141

    /// Runs to the end; returns the exit status (0, 128 + signal, or 141 when stdout's reader left).
    public mutating func run() -> Int32 {
        let tick: UInt64 = 50_000_000
        let start = clock()
        let end = duration.map { start &+ UInt64(min($0, 1e9) * 1e9) } ?? .max
        let refresh = UInt64(max(1, refreshMillis)) * 1_000_000
        let frameEvery = UInt64(max(0.01, min(interval, 1e6)) * 1e9)
        var nextRefresh = start  // a first sample at once, so the first frame already has rates
        var nextFrame = start &+ frameEvery
        var status: Int32 = 0
        while true {
            if let sig = pendingSignal() {
                status = SignalMonitor.exitStatus(for: sig)
                break
            }
            let now = clock()
            eventsFolded += source.pump(into: &aggregator, budget: 200_000, now: now)
            if now >= end || source.finished { break }
            reportNoteOnce()
            if now >= nextRefresh {
                aggregator.tick(now: source.traceTime(now: now))
                if meter.sample(now: now) { aggregator.model.status.uiCPUPercent = meter.percent }
                nextRefresh = now &+ refresh
            }
            if !json && now >= nextFrame {
                aggregator.model.status.warning = source.note
                if !output(frame(elapsed: now &- start)) {
                    status = Self.brokenPipeStatus
                    break
                }
                nextFrame = now &+ frameEvery
            }
            // An unpaced replay folds as fast as it reads: no nap between budgets.
            if source.paced { nap(min(tick, end &- min(end, clock()))) }
        }
        let stopped = clock()
        source.stop()
        // Whatever the source still holds after stopping (the pump's last drain) is folded too.
        for _ in 0..<1000 {
            let n = source.pump(into: &aggregator, budget: 200_000, now: clock())
            eventsFolded += n
            if n == 0 { break }
        }
        reportNoteOnce()
        let snapshot = source.snapshot()
        if let snapshot { aggregator.ingest(snapshot: snapshot) }
        aggregator.tick(now: source.traceTime(now: clock()))
        _ = meter.sample(now: clock() &+ meter.windowNanos)
        aggregator.model.status.uiCPUPercent = meter.percent
        if json {
            let summary = HeadlessSummary.json(
                info: source.info, snapshot: snapshot, elapsedNanos: stopped &- start, eventsSeen: eventsFolded,
                uiCPUPercent: meter.percent, exitStatus: status, extra: source.summaryFields)
            _ = output(summary.rendered + "\n")
        } else {
            aggregator.model.status.warning = source.note
            if status != Self.brokenPipeStatus { _ = output(frame(elapsed: stopped &- start)) }
        }
        return status
    }

    /// Prints the source's note (a stopped recording, a failed baseline) as one line on stderr the first
    /// time it appears, so scripts see it in every mode, `--json` included.
    private mutating func reportNoteOnce() {
        guard reportedNote == nil, let note = source.note else { return }
        reportedNote = note
        errorLine("umcgtop: warning: \(note)")
    }

    private func frame(elapsed: UInt64) -> String {
        let secs = Double(elapsed / 1_000_000) / 1000
        let grid = DashboardView.render(aggregator.model, width: 100, height: 30)
        return "--- umcgtop t=\(secs)s ---\n" + grid.text + "\n"
    }

    /// Sleeps up to `nanos` (the loop's clock, not synchronisation).
    public static func sleep(nanos: UInt64) {
        guard nanos > 0 else { return }
        var ts = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        // The loop's clock, not synchronisation: an EINTR (signal) just ends the nap early.
        _ = nanosleep(&ts, nil)
    }
}
