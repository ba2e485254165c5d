import UMCGSystem

/// The bottom line: the filter being typed, or key hints for the current mode.
enum FooterView {
    static func draw(_ model: DashboardModel, layout: DashboardLayout, into buffer: inout ScreenBuffer) {
        let y = layout.footerY
        let ascii = model.options.ascii
        if let draft = model.ui.filterDraft {
            var x = buffer.put("Filter: ", x: 0, y: y, style: CellStyle(color: .accent, bold: true))
            x += buffer.put(draft, x: x, y: y, style: CellStyle(bold: true))
            x += buffer.put("_", x: x, y: y, style: CellStyle(color: .accent, reverse: true))
            buffer.put("   Enter apply  Esc clear", x: x, y: y, style: CellStyle(color: .dim))
            return
        }
        let enter = ascii ? "Enter" : "↵"
        let arrows = ascii ? "<- ->" : "←→"
        var hints: [(String, String)]
        if model.detailRow != nil {
            hints = [("Esc", "back"), ("q", "back"), (ascii ? "Up/Dn" : "↑↓", "next worker"), ("?", "help")]
        } else if model.mode.isReplay {
            hints = [
                ("q", "quit"), ("?", "help"), ("spc", "play"), (arrows, "±1s"), ("[]", "±10s"), ("g/G", "ends"),
                (".", "step"), ("+-", "speed"), ("/", "filter"), ("<>", "sort"), (enter, "detail"),
            ]
        } else {
            hints = [
                ("q", "quit"), ("?", "help"), ("spc", model.ui.paused ? "resume" : "pause"), ("/", "filter"),
                ("<>", "sort"), ("i", "invert"), (enter, "detail"), ("+-", "refresh"),
            ]
        }
        // The filter in effect wins over hints: it explains why rows are missing.
        let filterLabel = model.ui.filter.isEmpty ? "" : "filter: " + model.ui.filter
        let filterWidth = filterLabel.isEmpty ? 0 : min(DisplayWidth.width(filterLabel), buffer.width / 2) + 2
        var x = 0
        for (key, what) in hints {
            let need = DisplayWidth.width(key) + what.count + 2
            if x + need > buffer.width - filterWidth { break }
            x += buffer.put(key, x: x, y: y, style: CellStyle(color: .header, bold: true, reverse: true))
            x += buffer.put(" " + what + " ", x: x, y: y, style: CellStyle(color: .normal))
        }
        if !filterLabel.isEmpty {
            let f = Format.left(filterLabel, filterWidth - 2, ascii: ascii)
            buffer.put(
                f, x: buffer.width - DisplayWidth.width(f) - 1, y: y, style: CellStyle(color: .accent, bold: true))
        }
    }
}
