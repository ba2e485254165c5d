/// The top line: mode, backend, events/s, drops (red when non-zero), recording, refresh, warning.
enum StatusLineView {
    static func draw(_ model: DashboardModel, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        let sep = (ascii ? " | " : " │ ", CellStyle(color: .dim))
        let s = model.status
        var segs: [(String, CellStyle)] = []

        switch model.mode {
        case .live:
            if model.ui.paused {
                segs.append((" PAUSED ", CellStyle(color: .warn, bold: true, reverse: true)))
            } else {
                segs.append((" LIVE ", CellStyle(color: .good, bold: true, reverse: true)))
            }
        case .replay(let name):
            segs.append((" REPLAY ", CellStyle(color: .accent, bold: true, reverse: true)))
            var text = " " + name
            if let r = s.replay {
                let icon = r.playing ? (ascii ? ">" : "▶") : (ascii ? "||" : "⏸")
                text += " \(Format.clock(r.positionNanos))/\(Format.clock(r.durationNanos)) "
                text += (ascii ? "x" : "×") + Format.speed(r.speed) + " " + icon
            }
            segs.append((text, CellStyle(bold: true)))
        }
        segs.append(sep)
        segs.append((s.backend, CellStyle(color: .accent, bold: true)))
        segs.append(sep)
        segs.append((Format.rate(s.eventsPerSecond) + " ev/s", .plain))
        segs.append(sep)
        let dropStyle = s.droppedTotal > 0 ? CellStyle(color: .bad, bold: true) : CellStyle(color: .dim)
        var drops = "drops " + Format.count(s.droppedTotal)
        if s.droppedRecent > 0 { drops += " (+\(Format.count(s.droppedRecent)))" }
        segs.append((drops, dropStyle))
        if let path = s.recordingPath {
            segs.append(sep)
            segs.append((ascii ? "REC " : "● REC ", CellStyle(color: .bad, bold: true)))
            segs.append((shortName(path) + " " + Format.bytes(s.recordingBytes), .plain))
        }
        if !model.mode.isReplay {
            segs.append(sep)
            segs.append(("every " + Format.fixed(Double(model.options.refreshMillis) / 1000, 2) + "s", CellStyle(color: .dim)))
        }

        let end = buffer.putSegments(segs, x: 0, y: 0, maxX: buffer.width)
        // Right side: the warning if any (it wins), else the backend reason.
        let right: (String, CellStyle)? =
            if let w = s.warning { ((ascii ? "! " : "⚠ ") + w, CellStyle(color: .warn, bold: true)) } else if !s.backendReason.isEmpty {
                (s.backendReason, CellStyle(color: .dim))
            } else { nil }
        if let (text, style) = right {
            let room = buffer.width - end - 3
            if room >= 12 {
                let t = Format.left(text, min(room, text.unicodeScalars.count), ascii: ascii)
                buffer.put(t, x: buffer.width - t.unicodeScalars.count - 1, y: 0, style: style)
            } else if s.warning != nil {
                // No room beside the rest: the warning replaces the tail of the line.
                let t = Format.left(text, min(buffer.width / 2, text.unicodeScalars.count), ascii: ascii)
                let x = buffer.width - t.unicodeScalars.count
                buffer.fill(x: x - 1, y: 0, width: t.unicodeScalars.count + 1)
                buffer.put(t, x: x, y: 0, style: style)
            }
        }
    }

    /// The last path component.
    static func shortName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
