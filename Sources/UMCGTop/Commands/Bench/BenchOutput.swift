import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// Renders a `BenchReport` as the Nanos test's lines plus a summary table, or as one JSON object.
public enum BenchOutput {
    /// The Nanos test's title for a method (test/runtime/umcg.c).
    static func nanosTitle(_ method: BenchMethod) -> String {
        switch method {
        case .condvar: "Condition variable"
        case .futex: "Futex"
        case .umcg: "UMCG"
        case .spin: "Spin (the limit)"
        }
    }

    /// The two Nanos lines: `<Title> performance test duration: <s> seconds...` and
    /// `Results: <cycles> cycles (<%g> cycles/sec)`.
    public static func nanosLines(method: BenchMethod, seconds: Double, cycles: UInt64, cyclesPerSecond: Double)
        -> [String]
    {
        [
            "\(nanosTitle(method)) performance test duration: \(CFormat.g(seconds)) seconds...",
            "Results: \(cycles) cycles (\(CFormat.g(cyclesPerSecond)) cycles/sec)",
        ]
    }

    /// "CPU 1", "CPUs 0,1", "CPUs ?" from what the threads reported.
    static func cpuText(_ cpus: [Int32]) -> String {
        let known = cpus.filter { $0 >= 0 }
        if known.isEmpty { return "CPUs ?" }
        return known.count == 1 ? "CPU \(known[0])" : "CPUs " + known.map(String.init).joined(separator: ",")
    }

    /// Human-readable report: a header, per placement the Nanos lines of each case, a summary
    /// table (cycles/s, ns/switch, CPU s, CPUs, per-round cycles/s), ratios and skipped cases.
    public static func text(_ report: BenchReport, environment env: BenchEnvironment) -> String {
        let plan = report.plan
        var lines: [String] = []
        lines.append(
            "umcgtop bench: backend \(env.backend) (\(env.backendReason)); \(env.kernel); \(env.cpus) CPUs; "
                + "\(plan.rounds) round(s) x \(CFormat.g(plan.seconds)) s per run, interleaved; "
                + "every row under \(plan.policy)"
                + (plan.umcgBackend == .emulated
                    ? "; adaptive spin \(plan.spinNanos) ns"
                        + (plan.spinYields > 0 ? " + \(plan.spinYields) yields" : "")
                    : ""))
        let total = plan.seconds * Double(plan.rounds)
        for placement in plan.placements {
            let rows = report.results.filter { $0.benchCase.placement == placement }
            guard !rows.isEmpty else { continue }
            lines.append("")
            lines.append("== \(placement.rawValue) ==")
            for a in rows {
                if let backend = a.benchCase.backend {
                    let handoff = a.benchCase.handoff.map { ", handoff \($0.rawValue)" } ?? ""
                    lines.append(
                        "-- umcg on the \(backend) backend\(handoff)\(a.benchCase.tracing ? ", tracing on" : "")")
                }
                lines += nanosLines(
                    method: a.benchCase.method, seconds: total, cycles: a.cycles, cyclesPerSecond: a.cyclesPerSecond)
            }
        }
        lines.append("")
        lines.append(table(report))
        let parks = parkLines(report)
        if !parks.isEmpty {
            lines.append("")
            lines += parks
        }
        let ratios = report.ratios
        if !ratios.isEmpty {
            lines.append("")
            lines.append("Ratios (cycles/s):")
            for r in ratios {
                let scope = (r.placement?.rawValue ?? "all").benchPadRight(10)
                lines.append("  \(scope) \(r.name.benchPadRight(32)) \(fixed(r.value, 2))x")
            }
        }
        for s in report.skipped {
            lines.append("\(s.stuck ? "stuck" : "skipped"): \(s.benchCase): \(s.reason)")
        }
        return lines.joined(separator: "\n")
    }

    /// The summary table: one row per case that ran (UMCG rows name their backend), then one
    /// `stuck` row per case the watchdog abandoned.
    static func table(_ report: BenchReport) -> String {
        var lines = [
            "method".benchPadRight(22) + "placement".benchPadRight(11) + "backend".benchPadRight(9)
                + "cycles/s".benchPadLeft(12)
                + "ns/switch".benchPadLeft(11)
                + "CPU s".benchPadLeft(8) + "vs limit".benchPadLeft(10) + "  " + "ran on".benchPadRight(10)
                + "per round (cycles/s)"
        ]
        for a in report.results {
            let limit = a.benchCase.method == .spin ? "limit" : report.ratioToLimit(a).map { fixed($0, 3) } ?? "-"
            lines.append(
                a.benchCase.label.benchPadRight(22) + a.benchCase.placement.rawValue.benchPadRight(11)
                    + (a.benchCase.backend?.rawValue ?? "-").benchPadRight(9)
                    + fixed(a.cyclesPerSecond, 0).benchPadLeft(12) + fixed(a.nanosPerSwitch, 1).benchPadLeft(11)
                    + fixed(a.cpuSeconds, 2).benchPadLeft(8) + limit.benchPadLeft(10) + "  "
                    + cpuText(a.cpusSeen).benchPadRight(10)
                    + a.roundsCyclesPerSecond.map { fixed($0, 0) }.joined(separator: " "))
        }
        for s in report.stuck {
            lines.append(
                s.benchCase.label.benchPadRight(22) + s.benchCase.placement.rawValue.benchPadRight(11)
                    + (s.benchCase.backend?.rawValue ?? "-").benchPadRight(9) + "stuck".benchPadLeft(12))
        }
        return lines.joined(separator: "\n")
    }

    /// Per emulated UMCG case and round: cycles/s next to how its parks ended (% of parks that found
    /// the notification at once, in the spin, after a yield, in the sleep path), round by round.
    static func parkLines(_ report: BenchReport) -> [String] {
        let rows = report.results.filter { $0.roundsParks.contains { $0 != nil } }
        guard !rows.isEmpty else { return [] }
        var lines = ["Park ends per round (cycles/s: % immediate/spun/yielded/slept of parks, parks per cycle):"]
        for a in rows {
            lines.append("  \(a.benchCase.description)")
            for (i, parks) in a.roundsParks.enumerated() {
                guard let parks, i < a.roundsCyclesPerSecond.count else { continue }
                let cps = a.roundsCyclesPerSecond[i]
                let total = Double(max(parks.total, 1))
                let shares = [parks.immediate, parks.spun, parks.yielded, parks.slept].map {
                    fixed(100 * Double($0) / total, 1)
                }
                let cycles = i < a.roundsCycles.count ? a.roundsCycles[i] : 0
                let perCycle = cycles > 0 ? fixed(Double(parks.total) / Double(cycles), 2) : "-"
                lines.append(
                    "    round \(i + 1): " + fixed(cps, 0).benchPadLeft(9) + "  "
                        + shares.joined(separator: "/") + "  " + perCycle)
            }
        }
        return lines
    }

    /// `value` with `digits` decimals (no Foundation).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let n = UInt64(scaled)
        let sign = value < 0 && n > 0 ? "-" : ""
        let whole = n / UInt64(scale)
        guard digits > 0 else { return "\(sign)\(whole)" }
        let frac = String(n % UInt64(scale))
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - frac.count) + frac
    }

    /// The `--json` object (one line). Keys: backend, backend_reason, kernel, cpus, seconds, rounds,
    /// results[{method, placement, handoff (emulated umcg only), backend (umcg only: "emulated" or "kernel"), cycles, cycles_per_sec, ns_per_switch,
    /// cpu_seconds, rounds_cycles_per_sec, cpus, policy ("SCHED_OTHER", "SCHED_FIFO", "SCHED_RR"), ratio_to_limit and
    /// rounds_ratio_to_limit (umcg rows where the limit ran: whole runs, and round by round)}],
    /// limit[{method: "spin", placement: "cross-cpu", the same measurement keys}] (when it ran),
    /// ratios, tracing (when asked), skipped[{method, placement, handoff, backend, reason}],
    /// stuck[{the same keys}] (runs the watchdog abandoned: no progress for --stuck-seconds). The limit is a reference, not a method under test,
    /// so it has its own key and `results` keeps the methods only.
    public static func json(_ report: BenchReport, environment env: BenchEnvironment) -> JSONValue {
        func entry(_ a: BenchAggregate) -> [(String, JSONValue)] {
            var o: [(String, JSONValue)] = [
                ("method", .string(a.benchCase.method.description)),
                ("placement", .string(a.benchCase.placement.rawValue)),
            ]
            if let h = a.benchCase.handoff { o.append(("handoff", .string(h.rawValue))) }
            if let b = a.benchCase.backend { o.append(("backend", .string(b.rawValue))) }
            o.append(("policy", .string(report.plan.policy.description)))
            o += [
                ("cycles", .int(Int64(clamping: a.cycles))),
                ("cycles_per_sec", .double(a.cyclesPerSecond)),
                ("ns_per_switch", .double(a.nanosPerSwitch)),
                ("cpu_seconds", .double(a.cpuSeconds)),
                ("rounds_cycles_per_sec", .array(a.roundsCyclesPerSecond.map { .double($0) })),
                ("cpus", .array(a.roundsCPUs.map { .array($0.map { .int(Int64($0)) }) })),
            ]
            if a.benchCase.method == .umcg, let r = report.ratioToLimit(a) { o.append(("ratio_to_limit", .double(r))) }
            if a.benchCase.method == .umcg, let r = report.roundsRatioToLimit(a) {
                o.append(("rounds_ratio_to_limit", .array(r.map { .double($0) })))
            }
            if a.roundsParks.contains(where: { $0 != nil }) {
                o.append(("rounds_parks", .array(a.roundsParks.map { parksJSON($0) })))
            }
            return o
        }
        let untraced = report.results.filter { !$0.benchCase.tracing && $0.benchCase.method != .spin }
        let limit = report.results.filter { $0.benchCase.method == .spin }
        var ratios: [(String, JSONValue)] = []
        for p in report.plan.placements {
            let rs = report.ratios.filter { $0.placement == p && !$0.name.contains("traced") }
            if !rs.isEmpty { ratios.append((p.rawValue, .object(rs.map { ($0.name, .double($0.value)) }))) }
        }
        let best = report.ratios.filter { $0.placement == nil }
        if !best.isEmpty { ratios.append(("best", .object(best.map { ($0.name, .double($0.value)) }))) }

        var top: [(String, JSONValue)] = [
            ("backend", .string(env.backend)),
            ("backend_reason", .string(env.backendReason)),
            ("kernel", .string(env.kernel)),
            ("cpus", .int(Int64(env.cpus))),
            ("seconds", .double(report.plan.seconds)),
            ("rounds", .int(Int64(report.plan.rounds))),
            ("spin_nanos", .int(Int64(clamping: report.plan.spinNanos))),
            ("spin_yields", .int(Int64(report.plan.spinYields))),
            ("results", .array(untraced.map { .object(entry($0)) })),
        ]
        if !limit.isEmpty { top.append(("limit", .array(limit.map { .object(entry($0)) }))) }
        top.append(("ratios", .object(ratios)))
        if report.plan.tracing {
            let runs = report.results.filter(\.benchCase.tracing).map { a -> JSONValue in
                var o = entry(a)
                let off = report.result(.umcg, a.benchCase.placement, handoff: a.benchCase.handoff)
                o.append(("events", .int(Int64(clamping: a.tracedEvents))))
                o.append(("dropped", .int(Int64(clamping: a.droppedEvents))))
                if let off, off.cyclesPerSecond > 0 {
                    o.append(("on_off_ratio", .double(a.cyclesPerSecond / off.cyclesPerSecond)))
                }
                return .object(o)
            }
            top.append(("tracing", .object([("enabled", .bool(true)), ("runs", .array(runs))])))
        }
        func skip(_ s: BenchSkip) -> JSONValue {
            var o: [(String, JSONValue)] = [
                ("method", .string(s.benchCase.method.description)),
                ("placement", .string(s.benchCase.placement.rawValue)),
            ]
            if let h = s.benchCase.handoff { o.append(("handoff", .string(h.rawValue))) }
            if let b = s.benchCase.backend { o.append(("backend", .string(b.rawValue))) }
            if s.benchCase.tracing { o.append(("tracing", .bool(true))) }
            o.append(("reason", .string(s.reason)))
            return .object(o)
        }
        top.append(("skipped", .array(report.skipped.filter { !$0.stuck }.map(skip))))
        top.append(("stuck", .array(report.stuck.map(skip))))
        return .object(top)
    }
}

extension BenchOutput {
    /// One round's park ends as `{immediate, spun, yielded, slept}`, or null.
    static func parksJSON(_ p: ParkCounts?) -> JSONValue {
        guard let p else { return .null }
        return .object([
            ("immediate", .int(Int64(clamping: p.immediate))), ("spun", .int(Int64(clamping: p.spun))),
            ("yielded", .int(Int64(clamping: p.yielded))), ("slept", .int(Int64(clamping: p.slept))),
        ])
    }
}

extension String {
    /// Pads with spaces on the right to `width` (never truncates; keeps one space after long text).
    fileprivate func benchPadRight(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    /// Pads with spaces on the left to `width`.
    fileprivate func benchPadLeft(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
