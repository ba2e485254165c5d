import UMCGSystem

/// The top line: mode (LIVE, REPLAY, ATTACHED), backend, events/s, drops (red when non-zero), recording, refresh, warning.
enum StatusLineView {
    /// One logical item of the line; items are joined with separators.
    typealias Item = [(String, CellStyle)]

    static func draw(_ model: DashboardModel, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        let s = model.status
        var essential: [Item] = []
        var compact: [Item] = []  // the essential items when space is short

        switch model.mode {
        case .live:
            if model.ui.paused {
                essential.append([(" PAUSED ", CellStyle(color: .warn, bold: true, reverse: true))])
            } else {
                essential.append([(" LIVE ", CellStyle(color: .good, bold: true, reverse: true))])
            }
            compact = essential
        case .replay(let name):
            var position = ""
            if let r = s.replay {
                let atEnd = r.durationNanos > 0 && r.positionNanos >= r.durationNanos
                let icon = atEnd ? "END" : (r.playing ? (ascii ? ">" : "▶") : (ascii ? "||" : "⏸"))
                position += " \(Format.clock(r.positionNanos))/\(Format.clock(r.durationNanos)) "
                position += (ascii ? "x" : "×") + Format.speed(r.speed) + " " + icon
            }
            let label = (" REPLAY ", CellStyle(color: .accent, bold: true, reverse: true))
            essential.append([label, (" " + shortName(name) + position, CellStyle(bold: true))])
            compact.append([label, (position, CellStyle(bold: true))])
        case .attached(let pid, let command):
            let label =
                model.ui.paused
                ? (" PAUSED ", CellStyle(color: .warn, bold: true, reverse: true))
                : (" ATTACHED ", CellStyle(color: .good, bold: true, reverse: true))
            var item: Item = [label, (" pid \(pid) \(command)", CellStyle(bold: true))]
            var short: Item = [label, (" \(pid)", CellStyle(bold: true))]
            if let ended = s.targetEnded {
                item.append((" " + ended, CellStyle(color: .bad, bold: true)))
                short.append((" " + ended, CellStyle(color: .bad, bold: true)))
            }
            essential.append(item)
            compact.append(short)
        }
        let dropStyle = s.droppedTotal > 0 ? CellStyle(color: .bad, bold: true) : CellStyle(color: .dim)
        var dropText = "drops " + Format.count(s.droppedTotal)
        if s.droppedRecent > 0 { dropText += " (+\(Format.count(s.droppedRecent)))" }
        let drops: Item = [(dropText, dropStyle)]
        var optional: [Item] = [
            [(s.backend, CellStyle(color: .accent, bold: true))],
            [(Format.rate(s.eventsPerSecond) + " ev/s", .plain)],
        ]
        if let path = s.recordingPath {
            optional.append([
                (ascii ? "REC " : "● REC ", CellStyle(color: .bad, bold: true)),
                (shortName(path) + " " + Format.bytes(s.recordingBytes), .plain),
            ])
        }
        if !model.mode.isReplay {
            let ms = model.options.refreshMillis
            let every = ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
            optional.append([("refresh " + every, CellStyle(color: .dim))])
        }

        let width = buffer.width
        if let warning = s.warning {
            // The warning must show: keep the mode (and replay position), then non-zero drops,
            // then whatever else fits beside the whole warning.
            let text = (ascii ? "! " : "⚠ ") + warning
            let fits = { (items: [Item]) in
                length(items, ascii: ascii) + 2 + min(DisplayWidth.width(text), 16) <= width
            }
            var items = essential + (s.droppedTotal > 0 ? [drops] : [])
            if !fits(items) { items = compact + (s.droppedTotal > 0 ? [drops] : []) }
            if !fits(items) { items = compact }
            for item in optional where length(items + [item], ascii: ascii) + 2 + DisplayWidth.width(text) <= width {
                items.append(item)
            }
            let end = buffer.putSegments(joined(items, ascii: ascii), x: 0, y: 0, maxX: width)
            let room = width - end - 2
            let style = CellStyle(color: .warn, bold: true)
            if room >= min(DisplayWidth.width(text), 8) {
                let t = Format.left(text, min(room, DisplayWidth.width(text)), ascii: ascii)
                buffer.put(t, x: width - DisplayWidth.width(t), y: 0, style: style)
            } else {
                buffer.fill(x: 0, y: 0, width: width)
                buffer.put(
                    Format.left(text, min(width, DisplayWidth.width(text)), ascii: ascii), x: 0, y: 0, style: style)
            }
            return
        }
        let items = essential + [optional[0], optional[1], drops] + optional.dropFirst(2)
        let end = buffer.putSegments(joined(items, ascii: ascii), x: 0, y: 0, maxX: width)
        let room = width - end - 3
        if !s.backendReason.isEmpty, room >= 12 {
            let t = Format.left(s.backendReason, min(room, DisplayWidth.width(s.backendReason)), ascii: ascii)
            buffer.put(t, x: width - DisplayWidth.width(t) - 1, y: 0, style: CellStyle(color: .dim))
        }
    }

    /// Items joined by dim separators.
    static func joined(_ items: [Item], ascii: Bool) -> Item {
        var out: Item = []
        for (i, item) in items.enumerated() {
            if i > 0 { out.append((ascii ? " | " : " │ ", CellStyle(color: .dim))) }
            out += item
        }
        return out
    }

    /// Cells the joined items take.
    static func length(_ items: [Item], ascii: Bool) -> Int {
        joined(items, ascii: ascii).reduce(0) { $0 + DisplayWidth.width($1.0) }
    }

    /// The last path component.
    static func shortName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
