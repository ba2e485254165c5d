import UMCGSystem
import UMCGTrace

/// The `?` box: every key, centered over the dashboard, plus the UI's own CPU share.
enum HelpOverlay {
    /// (key, meaning) lines for a mode.
    static func lines(_ model: DashboardModel) -> [(String, String)] {
        let ascii = model.options.ascii
        let arrows = ascii ? "Up Dn PgUp PgDn" : "↑ ↓ PgUp PgDn"
        var l: [(String, String)] = [
            ("q  Ctrl-C", "quit (q closes help / detail first)"),
            ("?  h", "this help"),
            ("space", model.mode.isReplay ? "play / pause" : "pause view (sources keep draining)"),
            (arrows, "move selection"),
            ("Home End", "first / last worker"),
            ("Enter", "worker detail (arrows: next; Esc back)"),
            ("/", "filter workers (Enter apply, Esc clear)"),
            ("< >  i", "sort column, invert sort"),
            ("Ctrl-L", "redraw"),
        ]
        if model.mode.isReplay {
            l += [
                ("+ -", "speed " + (ascii ? "x2 / x0.5 (0.25x-64x)" : "×2 / ×½ (0.25×–64×)")),
                (ascii ? "Left Right" : "← →", "seek -1 s / +1 s"),
                (ascii ? "[ ] S-Lt S-Rt" : "[ ]  S-← S-→", "seek -10 s / +10 s"),
                ("g G  .", "start / end, step one event"),
            ]
        } else {
            l.append(("+ -", "refresh faster / slower (250 ms-5 s)"))
        }
        return l
    }

    static func draw(_ model: DashboardModel, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        let items = lines(model)
        let keyWidth = items.map { DisplayWidth.width($0.0) }.max() ?? 0
        var body = items.map { Format.left($0.0, keyWidth) + "  " + $0.1 }
        let cpu = model.status.uiCPUPercent.map { Format.fixed($0, 1) + "%" } ?? "-"
        let extra = [
            "states: " + stateLegend(ascii: ascii, from: 0),
            "        " + stateLegend(ascii: ascii, from: 3),
        ]
        // The state legend only when there is room; the UI CPU line always.
        let available = buffer.height - 2
        let roomForLegend = body.count + 2 + extra.count <= available
        if roomForLegend { body.append("") }
        body.append("UI CPU: \(cpu)   refresh \(model.options.refreshMillis) ms")
        if roomForLegend { body += extra }
        let innerWidth = min(buffer.width - 4, max(40, 2 + (body.map { DisplayWidth.width($0) }.max() ?? 0)))
        let height = min(buffer.height, body.count + 2)
        let x0 = max(0, (buffer.width - innerWidth - 2) / 2)
        let y0 = max(0, (buffer.height - height) / 2)
        let border = CellStyle(color: .accent, bold: true)
        let (h, v, tl, tr, bl, br): (String, String, String, String, String, String) =
            ascii ? ("-", "|", "+", "+", "+", "+") : ("─", "│", "┌", "┐", "└", "┘")
        buffer.put(tl + String(repeating: h, count: innerWidth) + tr, x: x0, y: y0, style: border)
        let title = " umcgtop help "
        buffer.put(
            title, x: x0 + max(1, (innerWidth - title.count) / 2), y: y0, style: CellStyle(color: .header, bold: true))
        for i in 0..<(height - 2) {
            let y = y0 + 1 + i
            buffer.put(v, x: x0, y: y, style: border)
            buffer.fill(x: x0 + 1, y: y, width: innerWidth)
            if i < body.count {
                let isKeyLine = i < items.count
                if isKeyLine {
                    buffer.put(
                        " " + Format.left(items[i].0, keyWidth), x: x0 + 1, y: y,
                        style: CellStyle(color: .accent, bold: true), maxWidth: innerWidth)
                    buffer.put(items[i].1, x: x0 + 1 + keyWidth + 3, y: y, maxWidth: max(0, innerWidth - keyWidth - 3))
                } else {
                    buffer.put(" " + body[i], x: x0 + 1, y: y, style: CellStyle(color: .dim), maxWidth: innerWidth)
                }
            }
            buffer.put(v, x: x0 + innerWidth + 1, y: y, style: border)
        }
        buffer.put(bl + String(repeating: h, count: innerWidth) + br, x: x0, y: y0 + height - 1, style: border)
    }

    static func stateLegend(ascii: Bool, from: Int) -> String {
        let states: [(WorkerState, String)] = [
            (.running, "run"), (.runnable, "runnable"), (.waiting, "wait"), (.blocked, "blocked"), (.exited, "exit"),
            (.unknown, "unknown"),
        ]
        return states[from..<min(from + 3, states.count)].map { Glyphs.state($0.0, ascii: ascii) + " " + $0.1 }.joined(
            separator: "  ")
    }
}
