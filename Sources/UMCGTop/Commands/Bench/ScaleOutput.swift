import UMCGBench
import UMCGEngine
import UMCGSystem

/// Renders a `ScaleReport` (`umcgtop bench --scale`) as a table or as one JSON object.
public enum ScaleOutput {
    /// The per-switch cost ratio the scale benchmark aims for (largest vs smallest worker count).
    public static let goalRatio = 1.5

    /// Header, the timing table (medians, every round, the floor), the ratios against the goal,
    /// then the memory table.
    public static func text(_ report: ScaleReport, plan: ScaleBench.Plan, environment env: BenchEnvironment) -> String {
        let medians = report.results
        let advised = medians.contains { $0.stackUsage?.hugePagesAdvised == true }
        let stacks =
            plan.stacks == .pooled
            ? "pooled worker stacks of \(plan.stackBytes >> 10) KiB (\(advised ? "huge pages advised" : "huge pages refused"), no guard pages)"
            : "system worker stacks of \(plan.stackBytes >> 10) KiB (guard pages)"
        let seconds = BenchOutput.fixed(plan.seconds, 1)
        let header: String =
            "umcgtop bench --scale: pingpong workload, \(plan.servers) server(s), backend \(env.backend); "
            + "\(env.kernel); \(env.cpus) CPUs; \(stacks); "
            + "\(plan.rounds) round(s) x \(seconds) s per count, interleaved; medians"
        let columns: [String] = [
            pad("workers", 8), pad("switches/s/server", 19), pad("ns/switch", 11), "  ",
            padRight("rounds (ns/switch)", 24),
            pad("floor ns", 10), pad("engine/floor", 14),
        ]
        var lines = [header, "", columns.joined()]
        for r in medians {
            let rounds = report.rounds(of: r.workers).map { BenchOutput.fixed($0, 0) }.joined(separator: " ")
            let floor: String = r.floorNanosPerSwitch.map { BenchOutput.fixed($0, 0) } ?? "-"
            let over: String = r.overFloor.map { BenchOutput.fixed($0, 2) + "x" } ?? "-"
            let cells: [String] = [
                pad("\(r.workers)", 8), pad(BenchOutput.fixed(r.switchesPerSecondPerServer, 0), 19),
                pad(BenchOutput.fixed(r.nanosPerSwitch, 0), 11), "  ", padRight(rounds, 24), pad(floor, 10),
                pad(over, 14),
            ]
            lines.append(cells.joined())
        }
        lines.append("")
        if let ratio = report.costRatio, let small = medians.min(by: { $0.workers < $1.workers }),
            let large = medians.max(by: { $0.workers < $1.workers })
        {
            let verdict = ratio <= goalRatio ? "within" : "above"
            lines.append(
                "ns/switch at \(large.workers) vs \(small.workers) workers: \(BenchOutput.fixed(ratio, 2))x "
                    + "(\(verdict) the \(BenchOutput.fixed(goalRatio, 1))x goal)")
            if let floor = report.floorRatio {
                lines.append(
                    "futex floor at \(large.workers) vs \(small.workers) workers: \(BenchOutput.fixed(floor, 2))x "
                        + "(plain threads woken in turn, no engine: the kernel's own growth)")
            }
        }
        lines.append("")
        let memoryColumns: [String] = [
            pad("workers", 8), pad("start s", 9), pad("heap B/worker", 15), pad("stack KiB", 11), pad("stack used", 12),
            pad("huge pages", 12), pad("RSS B/worker", 14), pad("futex buckets", 15),
        ]
        lines.append(memoryColumns.joined())
        for r in medians {
            let used: String = r.stackUsage?.maxUsedBytes.map { "\($0)" } ?? "-"
            let huge: String = r.hugePageBytes.map { "\($0 >> 20) MiB" } ?? "?"
            let rss: String = r.rssBytesPerWorker.map { BenchOutput.fixed($0, 0) } ?? "?"
            let buckets: String = r.futexHashBuckets.map { $0 == 0 ? "global" : "\($0)" } ?? "?"
            let cells: [String] = [
                pad("\(r.workers)", 8), pad(BenchOutput.fixed(r.startSeconds, 2), 9),
                pad("\(r.memory.heapBytesPerWorker)", 15),
                pad("\(r.memory.stackBytesPerWorker >> 10)", 11), pad(used, 12), pad(huge, 12), pad(rss, 14),
                pad(buckets, 15),
            ]
            lines.append(cells.joined())
        }
        lines.append("")
        lines.append(
            "floor = the same threads and stacks without the engine: one thread per server wakes its workers in turn")
        lines.append(
            "  (FUTEX_WAKE, then FUTEX_WAIT until the worker wakes it back), measured right after each engine run;")
        lines.append(
            "heap B/worker = engine rows + run-queue slots + backend control block, tid table and event-queue slots;")
        lines.append(
            "stack used = the deepest any worker went (bytes from the top, glibc's descriptor and TLS included);")
        lines.append("huge pages = the process's anonymous memory on transparent huge pages after the warm-up;")
        lines.append("RSS B/worker = VmRSS growth from before the engine was created to after its warm-up, per worker;")
        lines.append(
            "futex buckets = the process's private futex hash (\(plan.growFutexHash ? "grown by the engine" : "the kernel's default"))."
        )
        return lines.joined(separator: "\n")
    }

    /// One JSON object: plan, environment, one entry per worker count (its median round), every
    /// round, the cost and floor ratios.
    public static func json(_ report: ScaleReport, plan: ScaleBench.Plan, environment env: BenchEnvironment)
        -> JSONValue
    {
        let results: [JSONValue] = report.results.map { entry($0, rounds: report.rounds(of: $0.workers)) }
        return .object([
            ("mode", .string("scale")), ("workload", .string(BuiltinWorkload.pingpong.rawValue)),
            ("backend", .string(env.backend)), ("backend_reason", .string(env.backendReason)),
            ("kernel", .string(env.kernel)), ("cpus", .int(Int64(env.cpus))),
            ("servers", .int(Int64(plan.servers))), ("stack_bytes", .int(Int64(plan.stackBytes))),
            ("stacks", .string(plan.stacks.rawValue)), ("rounds", .int(Int64(plan.rounds))),
            ("futex_hash", .string(plan.growFutexHash ? "grow" : "kernel")),
            ("seconds_per_count", .double(plan.seconds)), ("results", .array(results)),
            ("cost_ratio", optional(report.costRatio, 1000)),
            ("floor_ratio", optional(report.floorRatio, 1000)),
            ("goal_ratio", .double(goalRatio)),
        ])
    }

    /// One worker count's JSON entry: its median run plus the ns/switch of every round.
    static func entry(_ r: ScaleResult, rounds: [Double]) -> JSONValue {
        let timing: [(String, JSONValue)] = [
            ("workers", .int(Int64(r.workers))), ("servers", .int(Int64(r.servers))),
            ("backend", .string(r.backend.rawValue)), ("seconds", .double(r.seconds)),
            ("switches", .int(Int64(clamping: r.switches))),
            ("switches_per_sec_per_server", .double(r.switchesPerSecondPerServer.rounded())),
            ("ns_per_switch", rounded(r.nanosPerSwitch, 10)),
            ("rounds_ns_per_switch", .array(rounds.map { rounded($0, 10) })),
            ("floor_ns_per_switch", optional(r.floorNanosPerSwitch, 10)),
            ("engine_over_floor", optional(r.overFloor, 1000)),
            ("start_s", .double(r.startSeconds)),
        ]
        let usedBytes: JSONValue = r.stackUsage?.maxUsedBytes.map { .int(Int64($0)) } ?? .null
        let overflows: JSONValue = r.stackUsage.map { .int(Int64($0.overflowed)) } ?? .null
        let huge: JSONValue = r.hugePageBytes.map { .int(Int64($0)) } ?? .null
        let rss: JSONValue = r.rssBytesPerWorker.map { .double($0.rounded()) } ?? .null
        let buckets: JSONValue = r.futexHashBuckets.map { .int(Int64($0)) } ?? .null
        let memory: [(String, JSONValue)] = [
            ("backend_bytes_per_worker", .int(Int64(r.memory.backendBytesPerWorker))),
            ("engine_bytes_per_worker", .int(Int64(r.memory.engineBytesPerWorker))),
            ("heap_bytes_per_worker", .int(Int64(r.memory.heapBytesPerWorker))),
            ("stacks", .string(r.stacks.rawValue)),
            ("stack_bytes_per_worker", .int(Int64(r.memory.stackBytesPerWorker))),
            ("stack_used_max_bytes", usedBytes), ("stack_overflows", overflows), ("huge_page_bytes", huge),
            ("rss_bytes_per_worker", rss), ("futex_hash_buckets", buckets),
        ]
        return .object(timing + memory)
    }

    static func rounded(_ x: Double, _ scale: Double) -> JSONValue { .double((x * scale).rounded() / scale) }

    static func optional(_ x: Double?, _ scale: Double) -> JSONValue { x.map { rounded($0, scale) } ?? .null }

    /// `text` left-aligned in `width` columns.
    static func padRight(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// `text` right-aligned in `width` columns (one space before, at least).
    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(1, width - text.count)) + text
    }
}
