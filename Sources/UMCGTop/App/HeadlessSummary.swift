import UMCGSystem
import UMCGTrace

/// The one JSON object `--headless --json` prints at the end.
///
/// `engine` holds the lossless totals summed over workers (the numbers `umcgtop report --json`
/// recounts from a recording); `servers`, `workers` and `baselines` list each entity.
public enum HeadlessSummary {
    /// Builds the summary.
    public static func json(
        info: RunInfo, snapshot: Snapshot?, elapsedNanos: UInt64, eventsSeen: Int, uiCPUPercent: Double,
        exitStatus: Int32, extra: [(String, JSONValue)], wakeToRun: [UInt32: LatencyPercentiles] = [:]
    ) -> JSONValue {
        let snap = snapshot ?? Snapshot(timestamp: 0, servers: [], workers: [])
        let names = Dictionary(
            info.entities.map { ("\($0.kind.rawValue):\($0.id)", $0.name) }, uniquingKeysWith: { a, _ in a })
        func name(_ kind: EntityKind, _ id: UInt32) -> JSONValue {
            names["\(kind.rawValue):\(id)"].map(JSONValue.string) ?? .null
        }
        let servers: [JSONValue] = snap.servers.map { s in
            .object([
                ("id", .uint(UInt64(s.id))), ("name", name(.server, UInt32(s.id))),
                ("state", .string(s.state.description)),
                ("switches", .uint(s.switches)), ("busy_ns", .uint(s.busyNanos)), ("idle_ns", .uint(s.idleNanos)),
                ("events", .uint(s.events)),
            ])
        }
        func percentile(_ id: UInt32, _ p: KeyPath<LatencyPercentiles, UInt64?>) -> JSONValue {
            wakeToRun[id]?[keyPath: p].map(JSONValue.uint) ?? .null
        }
        let workers: [JSONValue] = snap.workers.map { w in
            .object([
                ("id", .uint(UInt64(w.id))), ("name", name(.worker, w.id)), ("state", .string(w.state.description)),
                ("switches", .uint(w.switches)), ("blocks", .uint(w.blocks)), ("wakes", .uint(w.wakes)),
                ("waits", .uint(w.waits)), ("preemptions", .uint(w.preemptions)), ("timeouts", .uint(w.timeouts)),
                ("run_ns", .uint(w.runNanos)), ("runnable_ns", .uint(w.runnableNanos)),
                ("blocked_ns", .uint(w.blockedNanos)),
                ("wake_to_run_p50_ns", percentile(w.id, \.p50)), ("wake_to_run_p99_ns", percentile(w.id, \.p99)),
            ])
        }
        func total(_ key: KeyPath<WorkerCounters, UInt64>) -> JSONValue {
            .uint(snap.workers.reduce(0) { $0 &+ $1[keyPath: key] })
        }
        let engine: JSONValue = .object([
            ("switches", total(\.switches)), ("blocks", total(\.blocks)), ("wakes", total(\.wakes)),
            ("waits", total(\.waits)), ("preemptions", total(\.preemptions)), ("timeouts", total(\.timeouts)),
            ("server_switches", .uint(snap.servers.reduce(0) { $0 &+ $1.switches })),
        ])
        let baselines: [JSONValue] = snap.baselines.map { b in
            let rate = b.activeNanos == 0 ? 0 : Double(b.cycles) * 1e9 / Double(b.activeNanos)
            return .object([
                ("method", .string(b.method.description)), ("cycles", .uint(b.cycles)),
                ("active_s", .double(Double(b.activeNanos) / 1e9)), ("cycles_per_sec", .double(rate.rounded())),
                ("placement", .string(b.placement)),
            ])
        }
        var fields: [(String, JSONValue)] = [
            ("backend", .string(info.backend)), ("backend_reason", .string(info.backendReason)),
            ("kernel", .string(info.kernel)), ("cpus", .uint(UInt64(info.cpus))), ("scenario", .string(info.scenario)),
            ("duration_s", .double((Double(elapsedNanos) / 1e6).rounded() / 1e3)),
            ("exit_status", .int(Int64(exitStatus))),
            ("servers", .array(servers)), ("workers", .array(workers)), ("engine", engine),
            ("baselines", .array(baselines)),
            ("events_seen", .uint(UInt64(max(0, eventsSeen)))), ("dropped", .uint(snap.droppedEvents)),
            ("ui_cpu_percent", .double((uiCPUPercent * 100).rounded() / 100)),
        ]
        fields.append(contentsOf: extra)
        return .object(fields)
    }
}
