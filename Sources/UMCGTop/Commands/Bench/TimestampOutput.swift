import UMCGBench
import UMCGSystem

/// Renders `umcgtop bench --timestamps` (what one trace timestamp costs, each way) as a table or JSON.
public enum TimestampOutput {
    /// A table: ns per call per source (median round), every round, and each source against clock_gettime.
    public static func text(_ rows: [TimestampCost.Row], calls: Int, rounds: Int) -> String {
        let base = rows.first { $0.source == .clockGettime }?.nanosPerCall
        var lines = [
            "umcgtop bench --timestamps: \(calls) back-to-back reads per source per round, \(rounds) interleaved rounds; "
                + "trace clock: \(TraceClock.shared.source.rawValue) (invariant TSC: \(TimestampCounter.isInvariant ? "yes" : "no"))",
            "source                   ns/call   vs clock_gettime  per round (ns/call)",
        ]
        for r in rows {
            let ratio: String = base.map { $0 > 0 ? BenchOutput.fixed(r.nanosPerCall / $0, 2) + "x" : "-" } ?? "-"
            let perRound: String = r.rounds.map { BenchOutput.fixed($0, 2) }.joined(separator: " ")
            var line = pad(r.source.rawValue, 24) + " "
            line += pad(BenchOutput.fixed(r.nanosPerCall, 2), 8, right: true) + "   "
            line += pad(ratio, 17) + perRound
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `s` padded with spaces to `width` (on the left when `right`).
    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    /// One JSON object: `mode: "timestamps"`, the trace clock's source and one entry per source.
    public static func json(_ rows: [TimestampCost.Row], calls: Int, rounds: Int) -> JSONValue {
        .object([
            ("mode", .string("timestamps")), ("trace_clock", .string(TraceClock.shared.source.rawValue)),
            ("invariant_tsc", .bool(TimestampCounter.isInvariant)), ("calls_per_round", .int(Int64(calls))),
            ("rounds", .int(Int64(rounds))),
            (
                "results",
                .array(
                    rows.map { r in
                        .object([
                            ("source", .string(r.source.rawValue)),
                            ("ns_per_call", .double((r.nanosPerCall * 100).rounded() / 100)),
                            ("rounds_ns_per_call", .array(r.rounds.map { .double(($0 * 100).rounded() / 100) })),
                        ])
                    })
            ),
        ])
    }
}
