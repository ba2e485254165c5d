import UMCGSystem
import UMCGTrace

/// Servers: current worker, state, switches/s, utilisation bar, run-queue depth, sparkline.
enum ServersPanel {
    static func draw(_ model: DashboardModel, layout: DashboardLayout, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        let w = buffer.width
        // SERVER(8) WORKER(12) STATE(8) SW/S(8) UTIL bar(12)+pct(5) RQ(4) history (rest)
        let utilBar = w >= 100 ? 16 : 8
        let fixedCols = 1 + 8 + 1 + 12 + 1 + 7 + 1 + 8 + 1 + utilBar + 5 + 1 + 4 + 2
        let spark = max(0, w - fixedCols - 1)
        let head =
            " " + Format.left("Servers", 8) + " " + Format.left("WORKER", 12) + " " + Format.left("STATE", 7) + " "
            + Format.right("SW/S", 8) + " " + Format.left("UTIL", utilBar + 5) + " " + Format.right("RQ", 4) + "  "
            + (spark >= 8 ? "HISTORY" : "")
        buffer.header(head, y: layout.serversY)
        let rows = model.servers.prefix(layout.serverRows)
        if rows.isEmpty {
            buffer.put(" no servers", x: 0, y: layout.serversY + 1, style: CellStyle(color: .dim))
        }
        let maxRate = model.servers.map { $0.history.values.max() ?? 0 }.max() ?? 0
        for (i, s) in rows.enumerated() {
            let y = layout.serversY + 1 + i
            var x = 0
            x += buffer.put(" " + Format.left(s.name, 8, ascii: ascii) + " ", x: x, y: y, style: CellStyle(bold: true))
            // Between two workers, a running server shows the last one dimmed rather than "-".
            let betweenWorkers =
                s.currentWorker == TraceEvent.noWorker && s.state == .running && s.lastWorker != TraceEvent.noWorker
            let shown = betweenWorkers ? s.lastWorker : s.currentWorker
            let worker = shown == TraceEvent.noWorker ? "-" : model.workerName(shown)
            x += buffer.put(
                Format.left(worker, 12, ascii: ascii) + " ", x: x, y: y,
                style: betweenWorkers ? CellStyle(color: .dim) : .plain)
            let stateColor: ColorRole = s.state == .running ? .good : (s.state == .idle ? .normal : .dim)
            x += buffer.put(Format.left(s.state.description, 7) + " ", x: x, y: y, style: CellStyle(color: stateColor))
            x += buffer.put(Format.right(Format.rate(s.switchesPerSecond), 8) + " ", x: x, y: y)
            let barColor: ColorRole = s.utilisation > 0.9 ? .warn : .good
            x += buffer.put(
                Graphs.bar(s.utilisation, width: utilBar, ascii: ascii), x: x, y: y, style: CellStyle(color: barColor))
            x += buffer.put(Format.right(Format.percent(s.utilisation), 5) + " ", x: x, y: y)
            x += buffer.put(Format.right(String(s.runQueueDepth), 4) + "  ", x: x, y: y)
            if spark >= 8 {
                buffer.put(
                    Graphs.sparkline(s.history.values, width: spark, ascii: ascii, maxValue: maxRate), x: x, y: y,
                    style: CellStyle(color: .accent))
            }
        }
        if model.servers.count > layout.serverRows {
            let more = " +\(model.servers.count - layout.serverRows) more "
            buffer.put(
                more, x: w - more.count, y: layout.serversY, style: CellStyle(color: .accent, bold: true, reverse: true)
            )
        }
    }
}
