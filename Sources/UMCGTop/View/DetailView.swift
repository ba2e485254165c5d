import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// One worker in depth: totals, wake→run and run-length histograms, its latest events.
enum DetailView {
    static func draw(_ row: WorkerRow, model: DashboardModel, layout: DashboardLayout, into buffer: inout ScreenBuffer)
    {
        let ascii = model.options.ascii
        let w = buffer.width
        let y0 = 1
        let bottom = layout.footerY  // exclusive
        buffer.header(
            " Worker \(row.name) ",
            rest: " id \(row.id)  " + Glyphs.state(row.state, ascii: ascii) + " \(row.state)"
                + "  server " + (row.server == TraceEvent.noServer ? "-" : model.serverName(row.server)), y: y0)
        let t = row.totals
        let line1 =
            " switches \(Format.count(t.switches))  \(Format.rate(row.switchesPerSecond))/s   blocks \(Format.count(t.blocks))"
            + "  wakes \(Format.count(t.wakes))  waits \(Format.count(t.waits))  preempt \(Format.count(t.preemptions))"
        buffer.put(line1, x: 0, y: y0 + 1, maxWidth: w)
        let line2 =
            " run \(Format.nanos(t.runNanos, ascii: ascii))  runnable \(Format.nanos(t.runnableNanos, ascii: ascii))"
            + "  blocked \(Format.nanos(t.blockedNanos, ascii: ascii))  timeouts \(Format.count(t.timeouts))"
            + "  last block: \(row.lastBlockReason?.description ?? "-")"
        buffer.put(line2, x: 0, y: y0 + 2, style: CellStyle(color: .dim), maxWidth: w)

        let leftWidth = w >= 100 ? w / 2 : w / 2 + 4
        let areaTop = y0 + 3
        let areaRows = bottom - areaTop
        if areaRows >= 16 {
            // Room for the switch-rate history under the histograms.
            let y = bottom - 2
            buffer.put(" switches/s history", x: 0, y: y, style: CellStyle(bold: true), maxWidth: leftWidth - 1)
            buffer.put(
                " " + Graphs.sparkline(row.history.values, width: leftWidth - 3, ascii: ascii), x: 0, y: y + 1,
                style: CellStyle(color: .accent))
        }
        let histArea = areaRows >= 16 ? areaRows - 3 : areaRows
        let histRows = max(2, (histArea - 2) / 2)
        histogram(
            "wake→run", row.wakeToRun, x: 0, y: areaTop, width: leftWidth - 1, rows: histRows,
            ascii: ascii, color: .accent, into: &buffer)
        histogram(
            "run length", row.runLength, x: 0, y: areaTop + histRows + 1, width: leftWidth - 1,
            rows: max(1, histArea - histRows - 2), ascii: ascii, color: .good, into: &buffer)
        recentEvents(row, model: model, x: leftWidth, y: areaTop, width: w - leftWidth, rows: areaRows, into: &buffer)
    }

    /// A latency histogram: its p50 and p99 (within 1%) in the title, then one line per occupied
    /// power-of-two bucket (merged into `rows` lines if needed).
    static func histogram(
        _ title: String, _ h: LatencyHistogram, x: Int, y: Int, width: Int, rows: Int, ascii: Bool, color: ColorRole,
        into buffer: inout ScreenBuffer
    ) {
        let p50 = Format.nanos(h.percentile(0.5), ascii: ascii)
        let p99 = Format.nanos(h.percentile(0.99), ascii: ascii)
        let name = ascii ? title.split(separator: "→", omittingEmptySubsequences: false).joined(separator: "->") : title
        let gap = width >= 44 ? "  " : " "
        let title = " \(name)\(gap)n=\(Format.count(h.count))\(gap)p50 \(p50)\(gap)p99 \(p99)"
        buffer.put(title, x: x, y: y, style: CellStyle(bold: true), maxWidth: width)
        let buckets = h.log2Buckets
        guard let lo = buckets.firstIndex(where: { $0 > 0 }), let hi = buckets.lastIndex(where: { $0 > 0 }), rows > 0
        else {
            buffer.put("   no samples", x: x, y: y + 1, style: CellStyle(color: .dim))
            return
        }
        // Group buckets so they fit in `rows` lines.
        let range = lo...hi
        let span = range.count
        let group = (span + rows - 1) / rows
        var groups: [(upper: UInt64, count: UInt64)] = []
        var b = range.lowerBound
        while b <= range.upperBound {
            let end = min(b + group - 1, range.upperBound)
            let n = (b...end).reduce(UInt64(0)) { $0 &+ buckets[$1] }
            groups.append((Self.upperBound(ofBucket: end), n))
            b = end + 1
        }
        let most = groups.map(\.count).max() ?? 1
        let labelWidth = 9
        let countWidth = 7
        let barWidth = max(1, width - labelWidth - countWidth - 4)
        for (i, g) in groups.enumerated() where i < rows {
            let cy = y + 1 + i
            let label = (ascii ? "<=" : "≤") + Format.nanos(g.upper, ascii: ascii)
            var cx =
                x + buffer.put(" " + Format.right(label, labelWidth) + " ", x: x, y: cy, style: CellStyle(color: .dim))
            cx += buffer.put(
                Graphs.bar(Double(g.count) / Double(max(most, 1)), width: barWidth, ascii: ascii), x: cx, y: cy,
                style: CellStyle(color: color))
            buffer.put(Format.right(Format.count(g.count), countWidth), x: cx + 1, y: cy)
        }
    }

    /// The largest value of bit length `b`.
    static func upperBound(ofBucket b: Int) -> UInt64 {
        if b <= 0 { return 0 }
        if b >= 64 { return .max }
        return (UInt64(1) << UInt64(b)) - 1
    }

    /// The worker's latest events, newest first, times relative to the newest.
    static func recentEvents(
        _ row: WorkerRow, model: DashboardModel, x: Int, y: Int, width: Int, rows: Int, into buffer: inout ScreenBuffer
    ) {
        let ascii = model.options.ascii
        buffer.put(" recent events (newest first)", x: x, y: y, style: CellStyle(bold: true), maxWidth: width)
        let events = row.recent.newestFirst
        guard let newest = events.first?.timestamp else {
            buffer.put("   none yet", x: x, y: y + 1, style: CellStyle(color: .dim))
            return
        }
        for (i, e) in events.enumerated() where i < rows - 1 {
            let age = newest >= e.timestamp ? newest - e.timestamp : 0
            let when = Format.right(age == 0 ? "now" : "-" + Format.nanos(age, ascii: ascii), 7)
            let srv = e.server == TraceEvent.noServer ? "" : model.serverName(e.server)
            let detail = argText(e, model: model, ascii: ascii)
            let line =
                " \(when) " + Format.left(e.kind.description, 7) + " " + Format.left(srv, 5, ascii: ascii) + " "
                + detail
            buffer.put(line, x: x, y: y + 1 + i, style: CellStyle(color: color(of: e.kind)), maxWidth: width)
        }
    }

    static func argText(_ e: RecentEvent, model: DashboardModel, ascii: Bool) -> String {
        switch e.kind {
        case .switchTo: e.arg > 0 ? (ascii ? "w>r " : "w→r ") + Format.nanos(e.arg, ascii: ascii) : ""
        case .block: BlockReason(rawValue: e.arg)?.description ?? "other"
        case .wake: e.arg > 0 ? "blk " + Format.nanos(e.arg, ascii: ascii) : ""
        case .wait, .preempt: e.arg > 0 ? "ran " + Format.nanos(e.arg, ascii: ascii) : ""
        case .handoff: "to " + (e.arg < UInt64(UInt32.max) ? model.workerName(UInt32(e.arg)) : "-")
        case .exit: ExitReason(rawValue: e.arg).map { "\($0)" } ?? ""
        default: ""
        }
    }

    static func color(of kind: TraceEventKind) -> ColorRole {
        switch kind {
        case .switchTo: .good
        case .block: .warn
        case .preempt, .timeout: .accent
        case .exit, .dropped: .bad
        default: .normal
        }
    }
}
