import UMCGSystem
import UMCGTrace

/// The Workers table: one row per worker, sorted and filtered, scrolled to keep the selection visible.
enum WorkersPanel {
    /// One table column: header, width, alignment and how to draw a row's cell.
    struct Column {
        let header: String
        let width: Int
        let rightAligned: Bool
        let sort: WorkerSortColumn?
        let cell: (WorkerRow, DashboardModel) -> [(String, ColorRole)]
    }

    /// Columns for a screen width: wider screens get more.
    /// `idWidth`: digits of the largest worker id (at least 4), so no id is ever cut.
    static func columns(width: Int, ascii: Bool, idWidth: Int = 4) -> [Column] {
        let wide = width >= 100
        let nameWidth = wide ? 14 : 12
        var cols: [Column] = [
            Column(header: "ID", width: max(4, idWidth), rightAligned: true, sort: .id) { r, _ in
                [(String(r.id), .dim)]
            },
            Column(header: "S", width: 1, rightAligned: false, sort: .state) { r, _ in
                [(Glyphs.state(r.state, ascii: ascii), Glyphs.stateColor(r.state))]
            },
            Column(header: "Workers", width: nameWidth, rightAligned: false, sort: .name) { r, _ in [(r.name, .normal)]
            },
            Column(header: "SRV", width: 6, rightAligned: false, sort: .server) { r, m in
                [(r.server == TraceEvent.noServer ? "-" : m.serverName(r.server), .normal)]
            },
            Column(header: "SW/S", width: 7, rightAligned: true, sort: .switchRate) { r, _ in
                [(Format.rate(r.switchesPerSecond), .normal)]
            },
            Column(header: "RUN%", width: 4, rightAligned: true, sort: .run) { r, _ in [(pct(r.split.run, r), .good)] },
            Column(header: "RNB%", width: 4, rightAligned: true, sort: nil) { r, _ in
                [(pct(r.split.runnable, r), .normal)]
            },
            Column(header: "BLK%", width: 4, rightAligned: true, sort: .blocked) { r, _ in
                [(pct(r.split.blocked, r), r.split.blocked > 0.5 ? .warn : .normal)]
            },
            Column(header: "W→R P50", width: 7, rightAligned: true, sort: .p50) { r, _ in
                [(Format.nanos(r.wakeToRunP50, ascii: ascii), .normal)]
            },
            Column(header: "P99", width: 7, rightAligned: true, sort: .p99) { r, _ in
                let p99 = r.wakeToRunP99
                return [(Format.nanos(p99, ascii: ascii), (p99 ?? 0) >= 10_000_000 ? .warn : .normal)]
            },
            Column(header: "BLOCK", width: 6, rightAligned: false, sort: nil) { r, _ in
                [(r.lastBlockReason?.description ?? "-", .dim)]
            },
        ]
        if ascii { cols[8] = Column(header: "W>R P50", width: 7, rightAligned: true, sort: .p50, cell: cols[8].cell) }
        if wide {
            cols.append(
                Column(header: "SPLIT run/rnb/blk", width: 17, rightAligned: false, sort: nil) { r, _ in
                    Graphs.splitBar(r.split, width: 17, ascii: ascii)
                })
            cols.append(
                Column(header: "BLOCKS", width: 6, rightAligned: true, sort: nil) { r, _ in
                    [(Format.count(r.totals.blocks), .normal)]
                })
            cols.append(
                Column(header: "PREEMPT", width: 7, rightAligned: true, sort: nil) { r, _ in
                    [(Format.count(r.totals.preemptions), .normal)]
                })
        }
        // Only whole columns: drop those that would be cut at the right edge (the last cell
        // stays free for the scroll hint).
        var fitting: [Column] = []
        var used = 0
        for c in cols {
            if used + 1 + c.width > width - 1 { break }
            fitting.append(c)
            used += 1 + c.width
        }
        cols = fitting
        let historyWidth = width - used - 2
        if wide, historyWidth >= 8 {
            cols.append(
                Column(header: "HISTORY", width: historyWidth, rightAligned: false, sort: nil) { r, _ in
                    [(Graphs.sparkline(r.history.values, width: historyWidth, ascii: ascii), .accent)]
                })
        }
        return cols
    }

    static func pct(_ f: Double, _ r: WorkerRow) -> String {
        r.split.run + r.split.runnable + r.split.blocked > 0 ? Format.percent(f) : "-"
    }

    /// The header line for `cols`, with the sort arrow, and the column the sort highlight starts at (-1: none).
    static func header(_ cols: [Column], model: DashboardModel, ascii: Bool) -> (String, Int) {
        var head = ""
        var sortX = -1
        for c in cols {
            head += " "
            var h = c.header
            if c.sort == model.ui.sortColumn {
                let arrow = model.ui.sortDescending ? (ascii ? "v" : "▼") : (ascii ? "^" : "▲")
                if DisplayWidth.width(h) < c.width {
                    h += arrow
                } else {
                    // A full-width header keeps every letter: the arrow takes the space before it.
                    head.removeLast()
                    head += arrow
                }
                sortX = DisplayWidth.width(head)
            }
            head += c.rightAligned ? Format.right(h, c.width) : Format.left(h, c.width)
        }
        return (head, sortX)
    }

    /// True when `counter` fits at the right of the header, after its last word and a gap.
    static func counterFits(_ head: String, counter: String, width: Int) -> Bool {
        var text = head
        while text.last == " " { text.removeLast() }
        return width - DisplayWidth.width(text) > counter.count + 2
    }

    static func draw(_ model: DashboardModel, layout: DashboardLayout, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        // Rows are indexed by id, so the last row has the largest id.
        let idWidth = String(max(0, model.workerSlots.count - 1)).count
        var cols = columns(width: buffer.width, ascii: ascii, idWidth: idWidth)
        let visible = model.visibleWorkerIndices
        let counter = "\(visible.count)/\(model.workers.count)"
        var (head, sortX) = header(cols, model: model, ascii: ascii)
        // The N/M count shows from 100 columns on, however many workers: it may cover the blanks after the
        // last header word; when it does not fit, HISTORY loses its title, then the last columns give way.
        if let last = cols.last, last.header == "HISTORY", !counterFits(head, counter: counter, width: buffer.width) {
            cols[cols.count - 1] = Column(
                header: "", width: last.width, rightAligned: false, sort: nil, cell: last.cell)
            (head, sortX) = header(cols, model: model, ascii: ascii)
        }
        while buffer.width >= 100 && cols.count > 4 && !counterFits(head, counter: counter, width: buffer.width) {
            cols.removeLast()
            (head, sortX) = header(cols, model: model, ascii: ascii)
        }
        buffer.header(head, y: layout.workersY)
        if sortX >= 0, let c = cols.first(where: { $0.sort == model.ui.sortColumn }) {
            for dx in 0..<c.width {
                var cell = buffer[sortX + dx, layout.workersY]
                cell.style = CellStyle(color: .accent, bold: true, reverse: true)
                buffer[sortX + dx, layout.workersY] = cell
            }
        }
        if counterFits(head, counter: counter, width: buffer.width) {
            buffer.put(
                counter, x: buffer.width - counter.count - 1, y: layout.workersY,
                style: CellStyle(color: .header, reverse: true))
        }

        if visible.isEmpty {
            let msg = model.workers.isEmpty ? " no workers" : " no worker matches \"\(model.ui.filter)\""
            buffer.put(msg, x: 0, y: layout.workersY + 1, style: CellStyle(color: .dim))
            return
        }
        // The model keeps `scrollTop` for its last known screen size; clamp it here so the
        // selection stays visible even if the app did not report a resize.
        var top = min(max(model.ui.scrollTop, 0), max(0, visible.count - layout.workerRows))
        if let sel = model.ui.selectedWorker, let pos = visible.firstIndex(where: { model.workers[$0].id == sel }) {
            if pos < top { top = pos }
            if pos >= top + layout.workerRows { top = pos - layout.workerRows + 1 }
        }
        for line in 0..<layout.workerRows {
            let pos = top + line
            guard pos < visible.count else { break }
            let row = model.workers[visible[pos]]
            let y = layout.workersY + 1 + line
            let selected = row.id == model.ui.selectedWorker
            if selected {
                buffer.fill(x: 0, y: y, width: buffer.width, style: CellStyle(reverse: true))
                // A visible cursor too, for monochrome terminals and text snapshots.
                buffer.put(ascii ? ">" : "▸", x: 0, y: y, style: CellStyle(color: .accent, bold: true, reverse: true))
            }
            var x = 0
            for c in cols {
                x += 1
                let parts = c.cell(row, model)
                let text = parts.map(\.0).joined()
                let n = DisplayWidth.width(text)
                var cx = c.rightAligned ? x + max(0, c.width - n) : x
                if parts.count == 1 {
                    let t = c.rightAligned ? Format.right(text, c.width) : Format.left(text, c.width, ascii: ascii)
                    buffer.put(
                        t, x: x, y: y, style: CellStyle(color: selected ? .normal : parts[0].1, reverse: selected),
                        maxWidth: c.width)
                } else {
                    for (t, color) in parts {
                        cx += buffer.put(
                            t, x: cx, y: y, style: CellStyle(color: color, reverse: selected),
                            maxWidth: x + c.width - cx)
                    }
                }
                x += c.width
            }
        }
        // Scroll hints.
        if top > 0 {
            buffer.put(ascii ? "^" : "↑", x: buffer.width - 1, y: layout.workersY + 1, style: CellStyle(color: .dim))
        }
        if top + layout.workerRows < visible.count {
            buffer.put(
                ascii ? "v" : "↓", x: buffer.width - 1, y: layout.workersY + layout.workerRows,
                style: CellStyle(color: .dim))
        }
    }
}
