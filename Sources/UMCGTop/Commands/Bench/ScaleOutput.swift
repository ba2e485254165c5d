import UMCGEngine

/// Renders a `ScaleReport` (`umcgtop bench --scale`) as a table or as one JSON object.
public enum ScaleOutput {
    /// The per-switch cost ratio the scale benchmark aims for (largest vs smallest worker count).
    public static let goalRatio = 1.5

    /// Header, one row per worker count, the cost ratio against the goal.
    public static func text(_ report: ScaleReport, plan: ScaleBench.Plan, environment env: BenchEnvironment) -> String {
        var lines = [
            "umcgtop bench --scale: pingpong workload, \(plan.servers) server(s), backend \(env.backend); "
                + "\(env.kernel); \(env.cpus) CPUs; \(plan.stackBytes >> 10) KiB worker stacks; "
                + "\(BenchOutput.fixed(plan.seconds, 1)) s per count",
            "",
            pad("workers", 8) + pad("switches/s/server", 19) + pad("ns/switch", 11) + pad("start s", 9)
                + pad("heap B/worker", 15) + pad("stack KiB", 11) + pad("RSS B/worker", 14) + pad("futex buckets", 15),
        ]
        for r in report.results {
            lines.append(
                pad("\(r.workers)", 8) + pad(BenchOutput.fixed(r.switchesPerSecondPerServer, 0), 19)
                    + pad(BenchOutput.fixed(r.nanosPerSwitch, 0), 11) + pad(BenchOutput.fixed(r.startSeconds, 2), 9)
                    + pad("\(r.memory.heapBytesPerWorker)", 15) + pad("\(r.memory.stackBytesPerWorker >> 10)", 11)
                    + pad(r.rssBytesPerWorker.map { BenchOutput.fixed($0, 0) } ?? "?", 14)
                    + pad(r.futexHashBuckets.map { $0 == 0 ? "global" : "\($0)" } ?? "?", 15))
        }
        lines.append("")
        if let ratio = report.costRatio, let small = report.results.first, let large = report.results.last {
            let verdict = ratio <= goalRatio ? "within" : "above"
            lines.append(
                "ns/switch at \(large.workers) vs \(small.workers) workers: \(BenchOutput.fixed(ratio, 2))x "
                    + "(\(verdict) the \(BenchOutput.fixed(goalRatio, 1))x goal)")
        }
        lines.append(
            "heap B/worker = engine rows + run-queue slots + backend control block, tid table and event-queue slots;")
        lines.append("RSS B/worker = VmRSS growth from before the engine was created to after its warm-up, per worker;")
        lines.append(
            "futex buckets = the process's private futex hash (\(plan.growFutexHash ? "grown by the engine" : "the kernel's default"))."
        )
        return lines.joined(separator: "\n")
    }

    /// One JSON object: plan, environment, one entry per worker count, the cost ratio.
    public static func json(_ report: ScaleReport, plan: ScaleBench.Plan, environment env: BenchEnvironment)
        -> JSONValue
    {
        let results: [JSONValue] = report.results.map { r in
            .object([
                ("workers", .int(Int64(r.workers))), ("servers", .int(Int64(r.servers))),
                ("seconds", .double(r.seconds)), ("switches", .int(Int64(clamping: r.switches))),
                ("switches_per_sec_per_server", .double(r.switchesPerSecondPerServer.rounded())),
                ("ns_per_switch", .double((r.nanosPerSwitch * 10).rounded() / 10)),
                ("start_s", .double(r.startSeconds)),
                ("backend_bytes_per_worker", .int(Int64(r.memory.backendBytesPerWorker))),
                ("engine_bytes_per_worker", .int(Int64(r.memory.engineBytesPerWorker))),
                ("heap_bytes_per_worker", .int(Int64(r.memory.heapBytesPerWorker))),
                ("stack_bytes_per_worker", .int(Int64(r.memory.stackBytesPerWorker))),
                ("rss_bytes_per_worker", r.rssBytesPerWorker.map { .double($0.rounded()) } ?? .null),
                ("futex_hash_buckets", r.futexHashBuckets.map { .int(Int64($0)) } ?? .null),
            ])
        }
        return .object([
            ("mode", .string("scale")), ("workload", .string(Workload.pingpong.rawValue)),
            ("backend", .string(env.backend)), ("backend_reason", .string(env.backendReason)),
            ("kernel", .string(env.kernel)), ("cpus", .int(Int64(env.cpus))),
            ("servers", .int(Int64(plan.servers))), ("stack_bytes", .int(Int64(plan.stackBytes))),
            ("futex_hash", .string(plan.growFutexHash ? "grow" : "kernel")),
            ("seconds_per_count", .double(plan.seconds)), ("results", .array(results)),
            ("cost_ratio", report.costRatio.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
            ("goal_ratio", .double(goalRatio)),
        ])
    }

    /// `text` right-aligned in `width` columns (one space before, at least).
    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(1, width - text.count)) + text
    }
}
