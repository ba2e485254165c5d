import UMCGSystem
import UMCGTrace

/// UMCG, futex and condvar cycles/s on one time axis, with current rates, ns/switch,
/// placement and the UMCG ratios.
enum SwitchRatePanel {
    static func draw(_ model: DashboardModel, layout: DashboardLayout, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        let rates = model.rates
        let times = ascii ? "x" : "×"
        let units = " Switch rate  cycles/s" + (ascii ? ", " : " · ") + "ns/switch"
        var ratios: [String] = []
        if let r = rates.umcgRatio(to: .futex) { ratios.append("UMCG \(Format.fixed(r, 2))\(times) futex") }
        if let r = rates.umcgRatio(to: .condvar) { ratios.append("\(Format.fixed(r, 2))\(times) condvar") }
        // The ratios are the point of the panel: when the line is too narrow for units and ratios,
        // the units go first, never a cut ratio.
        var title = units
        if !ratios.isEmpty {
            let ratioText = ratios.joined(separator: ", ")
            let full = units + "   " + ratioText
            title = DisplayWidth.width(full) <= buffer.width ? full : " Switch rate   " + ratioText
        }
        buffer.header(title, y: layout.ratesY)
        let series = rates.all
        let legendWidth = buffer.width >= 100 ? 40 : 36
        let graphX = legendWidth + 1
        let graphWidth = buffer.width - graphX - 1
        let y0 = layout.ratesY + 1
        for (i, s) in series.enumerated() where i < layout.graphRows {
            let color = Glyphs.seriesColor(s.method)
            let mark = ascii ? String(Glyphs.seriesMark(s.method)) : "━"
            var x = buffer.put(" " + mark + " ", x: 0, y: y0 + i, style: CellStyle(color: color, bold: true))
            x += buffer.put(
                Format.left(Glyphs.seriesName(s.method), 8), x: x, y: y0 + i, style: CellStyle(color: color, bold: true)
            )
            x += buffer.put(
                Format.right(Format.rate(s.cyclesPerSecond), 7) + " ", x: x, y: y0 + i, style: CellStyle(bold: true))
            let ns = s.nanosPerSwitch.map { Format.nanos(UInt64($0.rounded()), ascii: ascii) } ?? ""
            x += buffer.put(Format.right(ns, 6) + " ", x: x, y: y0 + i)
            var note = s.placement ?? ""
            // The UMCG ping-pong runs on the engine's backend: its row names it (the others' placement is the same).
            if s.method == .umcg, s.source == .counters || s.source == .samples, !model.status.backend.isEmpty {
                note = model.status.backend
            }
            if s.source == .engineSwitches { note = "engine/2" }
            if s.source == .none {
                // Attached, umcgtop runs no baselines of its own: they would take CPU from the process watched.
                note = model.mode.isAttached && s.method != .umcg ? "not run" : "no data"
            }
            buffer.put(note, x: x, y: y0 + i, style: CellStyle(color: .dim), maxWidth: max(0, graphX - x - 1))
        }
        guard graphWidth >= 8 else { return }
        let samples = ascii ? graphWidth : graphWidth * 2
        let values = series.map { (values: $0.history.last(samples), method: $0.method) }
        let axis = yAxis(values.flatMap(\.values))
        var notes: [String] = []
        if layout.graphRows > 3 { notes.append("1 cycle = 2 switches") }
        if let axis { notes.append("axis " + Format.rate(axis.lo) + (ascii ? "-" : "–") + Format.rate(axis.hi) + "/s") }
        notes.append(sourcesNote(series.map(\.source), names: series.map { Glyphs.seriesName($0.method) }))
        for (i, note) in notes.enumerated() where 3 + i < layout.graphRows {
            buffer.put(" " + note, x: 0, y: y0 + 3 + i, style: CellStyle(color: .dim), maxWidth: legendWidth)
        }

        let bar = ascii ? "|" : "│"
        for r in 0..<layout.graphRows { buffer.put(bar, x: graphX - 1, y: y0 + r, style: CellStyle(color: .dim)) }
        if let axis {
            Graphs.lineGraph(
                values, range: axis.lo...axis.hi, x: graphX, y: y0, width: graphWidth, height: layout.graphRows,
                ascii: ascii, into: &buffer)
        } else {
            buffer.put(
                ascii ? "waiting for samples..." : "waiting for samples…", x: graphX + 1,
                y: y0 + layout.graphRows / 2, style: CellStyle(color: .dim))
        }
    }

    /// The y range: from 0 when the lines are far apart, else zoomed on them (the label says so);
    /// nil without positive samples.
    static func yAxis(_ samples: [Double]) -> (lo: Double, hi: Double)? {
        let positive = samples.filter { $0 > 0 && $0.isFinite }.sorted()
        guard let top = positive.last else { return nil }
        // The 5th percentile, not the minimum: a start-up sample must not flatten the lines.
        let bottom = positive[positive.count / 20]
        if bottom < top / 2 { return (0, niceCeiling(top)) }
        // At least a fifth of the top value: a flat line must not turn noise into mountains.
        let step = niceCeiling(max(top - bottom, top / 5) / 4)
        let lo = max(0, ((bottom / step).rounded(.down) - 1) * step)
        let hi = ((top / step).rounded(.up) + (top.truncatingRemainder(dividingBy: step) == 0 ? 1 : 0)) * step
        return (lo, hi)
    }

    /// Where the numbers come from, in one line.
    static func sourcesNote(_ sources: [RateSource], names: [String]) -> String {
        if let first = sources.first, sources.allSatisfy({ $0 == first }) {
            switch first {
            case .none: return "no baselines yet"
            case .counters: return "from lossless counters"
            case .samples: return "from sample events"
            case .engineSwitches: return "from engine switches"
            }
        }
        let short = sources.map { s -> String in
            switch s {
            case .none: "-"
            case .counters: "ctr"
            case .samples: "evt"
            case .engineSwitches: "eng/2"
            }
        }
        return zip(names, short).map { "\($0):\($1)" }.joined(separator: " ")
    }

    /// Rounds up to 1, 2 or 5 × 10^n so the axis label is readable.
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        var p = 1.0
        while p * 10 <= v { p *= 10 }
        for m in [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] where m * p >= v { return m * p }
        return 10 * p
    }
}
