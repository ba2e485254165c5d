import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// Renders a `TraceReport` as text tables or one JSON object.
enum ReportFormatter {
    /// Human-readable report.
    ///
    /// Every string from the file goes through `DisplayText.sanitized` (control characters replaced, widths
    /// bounded: `nameWidth` for names, `infoWidth` for the header's strings); `--json` prints them exactly.
    static func text(_ r: TraceReport, path: String) -> String {
        var out = ""
        text(r, path: path) { out += $0 }
        return out
    }

    /// The text report handed to `emit` in pieces (a header, then one piece per table row).
    static func text(_ r: TraceReport, path: String, into emit: (String) -> Void) {
        let s = r.summary
        let i = r.info
        var out = "\(shown(path, 256)): umcgtrace format v\(s.formatVersion)\n"
        out += "run:      \(shown(i.backend)) backend (\(shown(i.backendReason))); \(shown(i.scenario))\n"
        out += "host:     \(shown(i.hostname)), \(shown(i.kernel)), \(i.cpus) CPUs\n"
        out += "duration: \(seconds(s.durationNanos))\n"
        out += "events:   \(s.events), dropped \(s.dropped) in \(s.gaps) gaps\n"
        out += "file:     \(s.bytes) bytes, \(s.chunks) chunks, \(s.keyframes) keyframes, "
        out += "\(fixed(r.bytesPerEvent, 2)) bytes/event\n"
        if s.truncated { out += "truncated: \(s.lostBytes) bytes lost\n" }
        out += "\n"
        emit(out)
        let header = [
            "worker", "switches", "blocks", "wakes", "waits", "preempt", "timeout", "run time", "wake→run avg", "p50",
            "p99",
            "max",
        ]
        var rows: [[String]] = [header]
        for w in r.workers {
            let l = w.wakeToRun
            rows.append([
                shown(w.name, nameWidth), "\(w.switches)", "\(w.blocks)", "\(w.wakes)", "\(w.waits)",
                "\(w.preemptions)", "\(w.timeouts)",
                duration(w.runNanos), l.count == 0 ? "-" : duration(UInt64(l.mean)),
                l.count == 0 ? "-" : duration(l.percentile(50)),
                l.count == 0 ? "-" : duration(l.percentile(99)),
                l.count == 0 ? "-" : duration(l.max),
            ])
        }
        table(rows, into: emit)
        if r.unlistedWorkers > 0 {
            emit("(\(r.unlistedWorkers) more workers declared in the header without events, not listed)\n")
        }
        if !r.servers.isEmpty {
            emit("\n")
            var serverRows: [[String]] = [["server", "switches", "idles", "idle time"]]
            for v in r.servers {
                serverRows.append([shown(v.name, nameWidth), "\(v.switches)", "\(v.idles)", duration(v.idleNanos)])
            }
            table(serverRows, into: emit)
        }
        if r.unlistedServers > 0 {
            emit("(\(r.unlistedServers) more servers declared in the header without events, not listed)\n")
        }
        var tail = "\nevents by kind: "
        tail += r.eventCounts.filter { $0.count > 0 }.map { "\($0.kind) \($0.count)" }.joined(separator: ", ")
        emit(tail + "\n")
    }

    /// One JSON object (keys documented in docs/TraceFormat.md).
    static func json(_ r: TraceReport) -> String {
        var out = ""
        json(r) { out += $0 }
        return out
    }

    /// The JSON object handed to `emit` in pieces: the summary fields, then one piece per worker and server.
    static func json(_ r: TraceReport, into emit: (String) -> Void) {
        let s = r.summary
        var fields: [(String, JSONValue)] = [
            ("format_version", .uint(UInt64(s.formatVersion))),
            ("events", .uint(s.events)),
            ("dropped", .uint(s.dropped)),
            ("gaps", .uint(s.gaps)),
            ("chunks", .uint(UInt64(s.chunks))),
            ("keyframes", .uint(UInt64(s.keyframes))),
            ("bytes", .uint(s.bytes)),
            ("bytes_per_event", .double(r.bytesPerEvent)),
            ("duration_s", .double(s.duration)),
            ("first_timestamp_ns", s.firstTimestamp.map { .uint($0) } ?? .null),
            ("last_timestamp_ns", s.lastTimestamp.map { .uint($0) } ?? .null),
            ("servers", .uint(UInt64(r.info.entities.filter { $0.kind == .server }.count))),
            ("workers", .uint(UInt64(r.info.entities.filter { $0.kind == .worker }.count))),
            ("truncated", .bool(s.truncated)),
            ("clean_end", .bool(s.cleanEnd)),
            ("lost_bytes", .uint(s.lostBytes)),
            ("corrupt_offset", s.corruptOffset.map { .uint(UInt64($0)) } ?? .null),
            ("warning", r.warning.map { .string($0) } ?? .null),
            ("backend", .string(r.info.backend)),
            ("backend_reason", .string(r.info.backendReason)),
            ("scenario", .string(r.info.scenario)),
            ("kernel", .string(r.info.kernel)),
            ("hostname", .string(r.info.hostname)),
            ("cpus", .uint(UInt64(r.info.cpus))),
            ("unlisted_workers", .uint(UInt64(r.unlistedWorkers))),
            ("unlisted_servers", .uint(UInt64(r.unlistedServers))),
        ]
        fields.append(("event_counts", .object(r.eventCounts.map { ("\($0.kind)", .uint($0.count)) })))
        var head = JSONValue.object(fields).rendered
        head.removeLast()  // the closing brace: the per-worker and per-server arrays follow
        emit(head + ",\"per_worker\":[")
        // The engine's own run time: the last keyframe's lossless counter (the final one, taken after the
        // engine stopped, in a finished recording: then equal to the headless JSON's `run_ns`).
        var keyframeRun: [UInt32: UInt64] = [:]
        for c in r.lastKeyframe?.workers ?? [] { keyframeRun[c.id] = c.runNanos }
        for (i, w) in r.workers.enumerated() {
            let row = JSONValue.object([
                ("id", .uint(UInt64(w.id))), ("name", .string(w.name)), ("switches", .uint(w.switches)),
                ("blocks", .uint(w.blocks)), ("wakes", .uint(w.wakes)), ("waits", .uint(w.waits)),
                ("preemptions", .uint(w.preemptions)), ("timeouts", .uint(w.timeouts)),
                ("handoffs", .uint(w.handoffs)),
                ("run_between_events_ns", .uint(w.runNanos)),
                ("run_ns", keyframeRun[w.id].map(JSONValue.uint) ?? .null),
                ("wake_to_run_count", .uint(w.wakeToRun.count)),
                ("wake_to_run_avg_ns", .double(w.wakeToRun.mean)),
                ("wake_to_run_p50_ns", .uint(w.wakeToRun.percentile(50))),
                ("wake_to_run_p99_ns", .uint(w.wakeToRun.percentile(99))),
                ("wake_to_run_max_ns", .uint(w.wakeToRun.max)),
                ("wake_to_run_p99_estimated", .bool(w.wakeToRun.isEstimate)),
            ])
            emit((i > 0 ? "," : "") + row.rendered)
        }
        emit("],\"per_server\":[")
        for (i, v) in r.servers.enumerated() {
            let row = JSONValue.object([
                ("id", .uint(UInt64(v.id))), ("name", .string(v.name)), ("switches", .uint(v.switches)),
                ("idles", .uint(v.idles)), ("idle_ns", .uint(v.idleNanos)),
            ])
            emit((i > 0 ? "," : "") + row.rendered)
        }
        emit("]}\n")
    }

    /// Display width of a worker or server name in the tables.
    static let nameWidth = 32
    /// Display width of a header string (backend, reason, scenario, hostname, kernel).
    static let infoWidth = 80

    /// A string from the trace as the terminal may show it.
    static func shown(_ text: String, _ width: Int = infoWidth) -> String {
        DisplayText.sanitized(text, maxWidth: width)
    }

    /// Left-aligned first column, right-aligned others, two spaces apart (widths in terminal cells).
    static func table(_ rows: [[String]]) -> String {
        var out = ""
        table(rows) { out += $0 }
        return out
    }

    /// The table handed to `emit` one line at a time.
    static func table(_ rows: [[String]], into emit: (String) -> Void) {
        guard let width = rows.first?.count else { return }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (i, cell) in row.enumerated() where i < width { widths[i] = max(widths[i], DisplayText.width(cell)) }
        }
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() where i < width {
                let pad = String(repeating: " ", count: widths[i] - DisplayText.width(cell))
                line += i == 0 ? cell + pad : "  " + pad + cell
            }
            emit(line + "\n")
        }
    }

    /// "812ns", "12.3µs", "4.56ms", "1.23s".
    static func duration(_ ns: UInt64) -> String {
        let v = Double(ns)
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return fixed(v / 1e3, 1) + "µs" }
        if ns < 1_000_000_000 { return fixed(v / 1e6, 2) + "ms" }
        return fixed(v / 1e9, 2) + "s"
    }

    static func seconds(_ ns: UInt64) -> String { fixed(Double(ns) / 1e9, 3) + " s" }

    /// `v` with `digits` decimals, without Foundation.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        if scaled >= 9e18 { return String(v) }
        let n = UInt64(scaled)
        let whole = n / UInt64(scale)
        var frac = String(n % UInt64(scale))
        while frac.count < digits { frac = "0" + frac }
        return (v < 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + frac : "")
    }
}
