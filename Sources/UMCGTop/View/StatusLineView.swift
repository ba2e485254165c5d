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
                let atEnd = r.durationNanos > 0 && r.positionNanos >= r.durationNanos
                let icon = atEnd ? "END" : (r.playing ? (ascii ? ">" : "▶") : (ascii ? "||" : "⏸"))
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
            let ms = model.options.refreshMillis
            let every = ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
            segs.append(("refresh " + every, CellStyle(color: .dim)))
        }

        let essential = model.mode.isReplay ? 2 : 1
        if let warning = s.warning {
            // The warning must show: keep the mode (and replay position), then non-zero drops,
            // then the warning, then whatever else fits before it.
            let text = (ascii ? "! " : "⚠ ") + warning
            let style = CellStyle(color: .warn, bold: true)
            var left = Array(segs.prefix(essential))
            let dropSegs: [(String, CellStyle)] = s.droppedTotal > 0 ? [sep, (drops, dropStyle)] : []
            let rest = Array(segs.dropFirst(essential)).filter { $0.0 != drops }
            let width = buffer.width
            func length(_ x: [(String, CellStyle)]) -> Int { x.reduce(0) { $0 + $1.0.unicodeScalars.count } }
            left += dropSegs
            let minWarning = min(text.unicodeScalars.count, 16)
            // Add the optional segments (in pairs: separator + value) while the full warning still fits.
            var i = 0
            while i + 1 < rest.count {
                let candidate = left + [rest[i], rest[i + 1]]
                if length(candidate) + 2 + text.unicodeScalars.count > width { break }
                left = candidate
                i += 2
            }
            let end = buffer.putSegments(left, x: 0, y: 0, maxX: width)
            let room = width - end - 2
            if room >= minWarning || room >= 8 {
                let t = Format.left(text, min(room, text.unicodeScalars.count), ascii: ascii)
                buffer.put(t, x: width - t.unicodeScalars.count, y: 0, style: style)
            } else {
                let t = Format.left(text, min(width, text.unicodeScalars.count), ascii: ascii)
                buffer.fill(x: 0, y: 0, width: width)
                buffer.put(t, x: 0, y: 0, style: style)
            }
            return
        }
        let end = buffer.putSegments(segs, x: 0, y: 0, maxX: buffer.width)
        let room = buffer.width - end - 3
        if !s.backendReason.isEmpty, room >= 12 {
            let t = Format.left(s.backendReason, min(room, s.backendReason.unicodeScalars.count), ascii: ascii)
            buffer.put(t, x: buffer.width - t.unicodeScalars.count - 1, y: 0, style: CellStyle(color: .dim))
        }
    }

    /// The last path component.
    static func shortName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
