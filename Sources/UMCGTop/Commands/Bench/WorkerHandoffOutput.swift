import UMCGBench
import UMCGEngine

/// Renders `umcgtop bench --worker-handoff` (the engine's direct worker-to-worker handoff against
/// the same ping-pong through the server) as a table or JSON.
public enum WorkerHandoffOutput {
    /// `handoff` ÷ `yield` cycles/s with the same tracing, nil when either is missing or zero.
    public static func ratio(_ rows: [WorkerHandoffBench.Row], tracing: Bool) -> Double? {
        guard let h = rows.first(where: { $0.mode == .handoff && $0.tracing == tracing }),
            let y = rows.first(where: { $0.mode == .yield && $0.tracing == tracing }), y.cyclesPerSecond > 0
        else { return nil }
        return h.cyclesPerSecond / y.cyclesPerSecond
    }

    /// A table: cycles/s (median round), ns per switch, the direct share, every round; then the ratios.
    public static func text(
        _ rows: [WorkerHandoffBench.Row], seconds: Double, rounds: Int, handoff: HandoffMode
    ) -> String {
        var lines = [
            "umcgtop bench --worker-handoff: one server, two workers passing it back and forth, "
                + "\(BenchOutput.fixed(seconds, 2)) s x \(rounds) interleaved rounds, emulation, \(handoff.rawValue) park mode",
            "mode             cycles/s  ns/switch  direct  per round (cycles/s)",
        ]
        for r in rows {
            let name = r.mode.rawValue + (r.tracing ? " +trace" : "")
            let ns = r.cyclesPerSecond > 0 ? BenchOutput.fixed(1e9 / r.cyclesPerSecond / 2, 0) : "-"
            var line = TimestampOutput.pad(name, 15) + " "
            line += TimestampOutput.pad(BenchOutput.fixed(r.cyclesPerSecond, 0), 9, right: true) + "  "
            line += TimestampOutput.pad(ns, 9, right: true) + "  "
            line += TimestampOutput.pad(BenchOutput.fixed(r.directShare, 2), 6, right: true) + "  "
            line += r.rounds.map { BenchOutput.fixed($0, 0) }.joined(separator: " ")
            lines.append(line)
        }
        for tracing in [false, true] {
            guard let q = ratio(rows, tracing: tracing) else { continue }
            lines.append("handoff / yield\(tracing ? " (traced)" : ""): \(BenchOutput.fixed(q, 2))x")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object: `mode: "worker-handoff"`, one entry per row and `ratio_handoff_to_yield`
    /// (untraced, and `_traced` when traced rows ran).
    public static func json(
        _ rows: [WorkerHandoffBench.Row], seconds: Double, rounds: Int, handoff: HandoffMode
    ) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("mode", .string("worker-handoff")), ("backend", .string("emulated")), ("servers", .int(1)),
            ("workers", .int(2)), ("handoff", .string(handoff.rawValue)), ("seconds", .double(seconds)),
            ("rounds", .int(Int64(rounds))),
            (
                "results",
                .array(
                    rows.map { r in
                        .object([
                            ("method", .string(r.mode.rawValue)), ("tracing", .bool(r.tracing)),
                            ("cycles_per_second", .double(r.cyclesPerSecond.rounded())),
                            ("direct_share", .double((r.directShare * 1000).rounded() / 1000)),
                            ("rounds_cycles_per_second", .array(r.rounds.map { .double($0.rounded()) })),
                        ])
                    })
            ),
        ]
        if let q = ratio(rows, tracing: false) {
            o.append(("ratio_handoff_to_yield", .double((q * 1000).rounded() / 1000)))
        }
        if let q = ratio(rows, tracing: true) {
            o.append(("ratio_handoff_to_yield_traced", .double((q * 1000).rounded() / 1000)))
        }
        return .object(o)
    }
}
