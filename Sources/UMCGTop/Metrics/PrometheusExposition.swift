import Prometheus
import UMCGAnalysis

/// Turns `MetricsSnapshot`s into the Prometheus text format: counters and gauges through
/// swift-prometheus's `PrometheusCollectorRegistry` (counters follow the snapshot's totals, gauges
/// its rates); the two latency histograms are rendered straight from the fold's HdrHistograms at
/// the Prometheus bucket bounds, so a publish costs the same whatever the number of samples
/// (feeding swift-prometheus's histogram one sample at a time cost the UI thread about one lock
/// per switch: a few percent of a core at 500k switches/s).
///
/// Threading rule: `update` and `render` on one thread (the UI loop); the registry itself is thread-safe.
public final class PrometheusExposition {
    /// Prometheus bucket bounds (seconds) of the latency histograms: 1 µs … 1 s.
    public static let bucketBounds: [Double] = [
        1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1,
    ]

    private let registry = PrometheusCollectorRegistry()
    /// Series name + labels → (counter, value it shows).
    private var counters: [String: (counter: Counter, value: Double)] = [:]
    private var gauges: [String: Gauge] = [:]
    private var wakeToRun = LatencyHistogram()
    private var runLength = LatencyHistogram()
    private var workerKeys: Set<String> = []

    /// Creates an empty exposition.
    public init() {}

    /// The text format of everything updated so far.
    public func render() -> [UInt8] {
        var bytes = registry.emitToBuffer()
        Self.appendHistogram(
            &bytes, "umcgtop_wake_to_run_seconds", wakeToRun,
            help: "Time workers spent runnable before a server switched to them.")
        Self.appendHistogram(
            &bytes, "umcgtop_run_length_seconds", runLength,
            help: "Time workers ran from a switch to the block, wait, preemption or handoff that ended the run.")
        return bytes
    }

    /// One histogram family in the text format: cumulative counts at `bucketBounds` (each HdrHistogram
    /// bucket counted at its median, within 1%), `+Inf`, the exact sum in seconds and the count.
    /// Costs one pass over the HdrHistogram's buckets, however many samples they hold.
    static func appendHistogram(_ out: inout [UInt8], _ name: String, _ h: LatencyHistogram, help: String) {
        out += Array("# HELP \(name) \(help)\n# TYPE \(name) histogram\n".utf8)
        let recorded = h.recorded
        var i = 0
        var cumulative: UInt64 = 0
        for bound in bucketBounds {
            while i < recorded.count, Double(recorded[i].value) / 1e9 <= bound {
                cumulative &+= recorded[i].count
                i += 1
            }
            out += Array("\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n".utf8)
        }
        out += Array("\(name)_bucket{le=\"+Inf\"} \(h.count)\n".utf8)
        out += Array("\(name)_sum \(Double(h.sum) / 1e9)\n\(name)_count \(h.count)\n".utf8)
    }

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
        // The fold's histograms as they are (a reset fold shows as a reset, as counters do).
        wakeToRun = s.wakeToRun
        runLength = s.runLength
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
            let c = registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
            if value > 0 { c.increment(by: value) }
            counters[key] = (c, value)
        }
        return key
    }

    /// The metric `name` as the registry names it (no namespace, subsystem or unit: `name` is complete).
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let g: Gauge
        if let existing = gauges[key] {
            g = existing
        } else {
            g = registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
            gauges[key] = g
        }
        g.set(value)
    }
}
