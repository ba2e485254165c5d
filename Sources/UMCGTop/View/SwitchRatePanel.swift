import UMCGTrace

/// UMCG, futex and condvar cycles/s on one time axis, with current rates, ns/switch,
/// placement and the UMCG ratios.
enum SwitchRatePanel {
    static func draw(_ model: DashboardModel, layout: DashboardLayout, into buffer: inout ScreenBuffer) {
        let ascii = model.options.ascii
        let rates = model.rates
        let times = ascii ? "x" : "×"
        var title = " Switch rate  cycles/s" + (ascii ? ", " : " · ") + "ns/switch"
        var ratios: [String] = []
        if let r = rates.umcgRatio(to: .futex) { ratios.append("UMCG \(Format.fixed(r, 2))\(times) futex") }
        if let r = rates.umcgRatio(to: .condvar) { ratios.append("\(Format.fixed(r, 2))\(times) condvar") }
        if !ratios.isEmpty { title += "   " + ratios.joined(separator: ", ") }
        buffer.header(title, y: layout.ratesY)
        let peak = rates.all.flatMap { $0.history.values }.max() ?? 0
        let scale = niceCeiling(peak)
        if peak > 0 {
            let label = " axis 0-" + Format.rate(scale) + " "
            if buffer.width - title.unicodeScalars.count > label.count + 2 {
                buffer.put(
                    label, x: buffer.width - label.count, y: layout.ratesY,
                    style: CellStyle(color: .header, reverse: true))
            }
        }

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
            if s.source == .engineSwitches { note = "engine/2" }
            if s.source == .none { note = "no data" }
            buffer.put(note, x: x, y: y0 + i, style: CellStyle(color: .dim), maxWidth: max(0, graphX - x - 1))
        }
        if layout.graphRows > 3 {
            buffer.put(" 1 cycle = 2 switches", x: 0, y: y0 + 3, style: CellStyle(color: .dim), maxWidth: legendWidth)
        }
        if layout.graphRows > 4 {
            let sources = series.map { "\(Glyphs.seriesName($0.method)):\(sourceName($0.source))" }.joined(
                separator: " ")
            buffer.put(" " + sources, x: 0, y: y0 + 4, style: CellStyle(color: .dim), maxWidth: legendWidth)
        }

        guard graphWidth >= 8 else { return }
        let samples = ascii ? graphWidth : graphWidth * 2
        let values = series.map { (values: $0.history.last(samples), method: $0.method) }
        let axis = ascii ? "|" : "│"
        for r in 0..<layout.graphRows { buffer.put(axis, x: graphX - 1, y: y0 + r, style: CellStyle(color: .dim)) }
        if peak > 0 {
            Graphs.lineGraph(
                values, maxValue: scale, x: graphX, y: y0, width: graphWidth, height: layout.graphRows, ascii: ascii,
                into: &buffer)
        } else {
            buffer.put(
                ascii ? "waiting for samples..." : "waiting for samples…", x: graphX + 1, y: y0 + layout.graphRows / 2,
                style: CellStyle(color: .dim))
        }
    }

    static func sourceName(_ s: RateSource) -> String {
        switch s {
        case .none: "-"
        case .counters: "ctr"
        case .samples: "evt"
        case .engineSwitches: "eng"
        }
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
