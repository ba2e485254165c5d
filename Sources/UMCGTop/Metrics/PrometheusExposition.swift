import Prometheus
import UMCGAnalysis

/// Turns `MetricsSnapshot`s into the Prometheus text format through swift-prometheus's
/// `PrometheusCollectorRegistry`: counters follow the snapshot's totals, gauges its rates, and the
/// two latency histograms are fed the samples that arrived since the previous snapshot.
///
/// Threading rule: `update` on one thread (the UI loop); the registry itself is thread-safe.
public final class PrometheusExposition {
    /// Prometheus bucket bounds (seconds) of the latency histograms: 1 µs … 1 s.
    public static let bucketBounds: [Double] = [
        1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1,
    ]

    private let registry = PrometheusCollectorRegistry()
    /// Series name + labels → (counter, value it shows).
    private var counters: [String: (counter: Counter, value: Double)] = [:]
    private var gauges: [String: Gauge] = [:]
    private var wakeToRun: ValueHistogram
    private var runLength: ValueHistogram
    private var lastWakeToRun = LatencyHistogram()
    private var lastRunLength = LatencyHistogram()
    private var workerKeys: Set<String> = []

    /// Creates an empty exposition.
    public init() {
        wakeToRun = Self.makeHistogram(registry, "umcgtop_wake_to_run_seconds")
        runLength = Self.makeHistogram(registry, "umcgtop_run_length_seconds")
    }

    private static func makeHistogram(_ registry: PrometheusCollectorRegistry, _ name: String) -> ValueHistogram {
        let help =
            name == "umcgtop_wake_to_run_seconds"
            ? "Time workers spent runnable before a server switched to them."
            : "Time workers ran from a switch to the block, wait, preemption or handoff that ended the run."
        return registry.makeValueHistogram(name: name, buckets: bucketBounds, help: help)
    }

    /// The text format of everything updated so far.
    public func render() -> [UInt8] { registry.emitToBuffer() }

    /// Brings every series to `s`'s values.
    public func update(_ s: MetricsSnapshot) {
        for server in s.servers {
            let l = [("server", server.id), ("name", server.name)]
            let t = server.totals
            counter("umcgtop_server_switches_total", l, t.switches, "Switches a server made to its workers.")
            counter("umcgtop_server_blocks_total", l, t.blocks, "Blocks of workers running on a server (events).")
            counter("umcgtop_server_wakes_total", l, t.wakes, "Wakes of a server's workers (events).")
            counter("umcgtop_server_waits_total", l, t.waits, "Yields of workers running on a server (events).")
            counter(
                "umcgtop_server_preemptions_total", l, t.preemptions, "Preemptions on a server (events).")
            seconds("umcgtop_server_busy_seconds_total", l, t.runNanos, "Time a server spent running workers.")
            seconds("umcgtop_server_idle_seconds_total", l, t.idleNanos, "Time a server spent idle.")
        }
        var seen: Set<String> = []
        for worker in s.topWorkers + (s.otherWorkers.map { [$0] } ?? []) {
            let l = [("worker", worker.id), ("name", worker.name)]
            let t = worker.totals
            seen.formUnion(workerSeries(l, t))
        }
        for stale in workerKeys.subtracting(seen) {
            if let c = counters.removeValue(forKey: stale) { registry.unregisterCounter(c.counter) }
        }
        workerKeys = seen
        gauge("umcgtop_workers", [], Double(s.workerCount), "Workers in the entity table.")
        for b in s.baselines {
            let l = [("method", b.method)]
            let rate = b.cyclesPerSecond ?? 0
            gauge("umcgtop_baseline_cycles_per_second", l, rate, "Ping-pong cycles per second (two switches each).")
            gauge(
                "umcgtop_baseline_switch_seconds", l, rate > 0 ? 1 / (2 * rate) : 0,
                "Seconds per switch of the ping-pong (0 before the first window).")
        }
        counter("umcgtop_ring_events_total", [], s.events, "Trace events the UI folded from the rings.")
        counter("umcgtop_ring_dropped_events_total", [], s.droppedEvents, "Trace events the rings dropped.")
        feed(&wakeToRun, &lastWakeToRun, s.wakeToRun, name: "umcgtop_wake_to_run_seconds")
        feed(&runLength, &lastRunLength, s.runLength, name: "umcgtop_run_length_seconds")
    }

    private func workerSeries(_ l: [(String, String)], _ t: MetricsSnapshot.Totals) -> [String] {
        [
            counter("umcgtop_worker_switches_total", l, t.switches, "Switches to a worker (top N, then other)."),
            counter("umcgtop_worker_blocks_total", l, t.blocks, "Blocking sections a worker entered."),
            counter("umcgtop_worker_wakes_total", l, t.wakes, "Times a worker became runnable."),
            counter("umcgtop_worker_waits_total", l, t.waits, "Yields (UMCG_WAIT) of a worker."),
            counter("umcgtop_worker_preemptions_total", l, t.preemptions, "Preemptions of a worker."),
            seconds("umcgtop_worker_run_seconds_total", l, t.runNanos, "Time a worker ran."),
            seconds("umcgtop_worker_runnable_seconds_total", l, t.idleNanos, "Time a worker was runnable or waiting."),
            seconds("umcgtop_worker_blocked_seconds_total", l, t.blockedNanos, "Time a worker was blocked."),
        ]
    }

    @discardableResult
    private func seconds(_ name: String, _ labels: [(String, String)], _ nanos: UInt64, _ help: String) -> String {
        set(name, labels, Double(nanos) / 1e9, help)
    }

    @discardableResult
    private func counter(_ name: String, _ labels: [(String, String)], _ value: UInt64, _ help: String) -> String {
        set(name, labels, Double(value), help)
    }

    /// Moves a counter to `value`: by the difference, or from zero again when it went down
    /// (a worker joining the top N leaves "other" smaller, which Prometheus reads as a reset).
    private func set(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) -> String {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if var entry = counters[key] {
            if value < entry.value {
                entry.counter.reset()
                entry.value = 0
            }
            if value > entry.value { entry.counter.increment(by: value - entry.value) }
            entry.value = value
            counters[key] = entry
        } else {
            let c =
                labels.isEmpty
                ? registry.makeCounter(name: name, help: help)
                : registry.makeCounter(name: name, labels: labels, help: help)
            if value > 0 { c.increment(by: value) }
            counters[key] = (c, value)
        }
        return key
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let g: Gauge
        if let existing = gauges[key] {
            g = existing
        } else {
            g =
                labels.isEmpty
                ? registry.makeGauge(name: name, help: help)
                : registry.makeGauge(name: name, labels: labels, help: help)
            gauges[key] = g
        }
        g.set(value)
    }

    /// Records into `h` the samples `current` has beyond `last` (each at its bucket's median,
    /// within 1%); starts `h` over when `current` holds fewer samples (the fold was reset).
    private func feed(
        _ h: inout ValueHistogram, _ last: inout LatencyHistogram, _ current: LatencyHistogram, name: String
    ) {
        if current.count < last.count {
            registry.unregisterValueHistogram(h)
            h = Self.makeHistogram(registry, name)
            last = LatencyHistogram()
        }
        guard current.count != last.count else { return }
        for (value, n) in current.recorded {
            let before = last.count(at: value)
            guard n > before else { continue }
            let seconds = Double(value) / 1e9
            for _ in 0..<(n - before) { h.record(seconds) }
        }
        last = current
    }
}
