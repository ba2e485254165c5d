import UMCGSystem
import UMCGTrace

/// Sparklines, bars and the braille / ASCII line graph.
enum Graphs {
    private static let blocks: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    private static let asciiLevels: [Unicode.Scalar] = ["_", ".", "-", "=", "+", "*", "#", "@"]

    /// One cell per sample, scaled to the largest sample (or `maxValue`).
    static func sparkline(_ values: [Double], width: Int, ascii: Bool, maxValue: Double? = nil) -> String {
        guard width > 0 else { return "" }
        let shown = values.suffix(width)
        let top = maxValue ?? (shown.max() ?? 0)
        var out = String.UnicodeScalarView()
        for _ in 0..<(width - shown.count) { out.append(" ") }
        let levels = ascii ? asciiLevels : blocks
        for v in shown {
            if top <= 0 || !v.isFinite || v <= 0 {
                out.append(ascii ? " " : levels[0])
            } else {
                let i = Int((min(v / top, 1) * Double(levels.count - 1)).rounded())
                out.append(levels[min(max(i, 0), levels.count - 1)])
            }
        }
        return String(out)
    }

    /// A horizontal bar of `fraction` × `width` cells (█ with ▏…▉ eighths; `#` in ASCII).
    static func bar(_ fraction: Double, width: Int, ascii: Bool) -> String {
        guard width > 0 else { return "" }
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        if ascii {
            let n = Int((f * Double(width)).rounded())
            return String(repeating: "#", count: n) + String(repeating: " ", count: width - n)
        }
        let eighths = Int((f * Double(width * 8)).rounded())
        var out = String(repeating: "█", count: eighths / 8)
        let partials: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        if eighths % 8 > 0 { out += partials[eighths % 8] }
        return out + String(repeating: " ", count: max(0, width - DisplayWidth.width(out)))
    }

    /// A run/runnable/blocked split as one bar: R-cells, r-cells, B-cells.
    static func splitBar(_ s: TimeSplit, width: Int, ascii: Bool) -> [(String, ColorRole)] {
        guard width > 0 else { return [] }
        let total = s.run + s.runnable + s.blocked
        guard total > 0 else { return [(String(repeating: ascii ? "." : "·", count: width), .dim)] }
        let run = Int((s.run / total * Double(width)).rounded())
        let blocked = min(width - run, Int((s.blocked / total * Double(width)).rounded()))
        let runnable = max(0, width - run - blocked)
        return [
            (String(repeating: ascii ? "R" : "█", count: run), .good),
            (String(repeating: ascii ? "r" : "▒", count: runnable), .accent),
            (String(repeating: ascii ? "B" : "░", count: blocked), .warn),
        ]
    }

    /// Draws several series as lines on one axis into a `width`×`height` area at (x, y).
    /// Braille: 2 samples per cell column, 4 levels per row; ASCII: 1 sample per column.
    /// Where series overlap, the earlier series in `series` wins the cell's colour.
    static func lineGraph(
        _ series: [(values: [Double], method: BaselineMethod)], range: ClosedRange<Double>, x: Int, y: Int, width: Int,
        height: Int, ascii: Bool, into buffer: inout ScreenBuffer
    ) {
        let span = range.upperBound - range.lowerBound
        guard width > 0, height > 0, span > 0 else { return }
        /// 0…1 of the range, clamped.
        func unit(_ v: Double) -> Double { min(max((v - range.lowerBound) / span, 0), 1) }
        if ascii {
            for s in series.reversed() {
                let shown = s.values.suffix(width)
                let x0 = x + width - shown.count
                for (i, v) in shown.enumerated() where v > 0 && v.isFinite {
                    let level = Int((unit(v) * Double(height - 1)).rounded())
                    buffer[x0 + i, y + height - 1 - level] = Cell(
                        Glyphs.seriesMark(s.method), style: CellStyle(color: Glyphs.seriesColor(s.method)))
                }
            }
            return
        }
        let dotRows = height * 4
        var bits = Array(repeating: UInt8(0), count: width * height)
        var owner = Array(repeating: -1, count: width * height)
        for (si, s) in series.enumerated().reversed() {
            let shown = Array(s.values.suffix(width * 2))
            let dx0 = width * 2 - shown.count
            var previous: Int?
            for (i, v) in shown.enumerated() {
                guard v > 0, v.isFinite else {
                    previous = nil
                    continue
                }
                let level = Int((unit(v) * Double(dotRows - 1)).rounded())
                // Join to the previous sample with a vertical run (this column's dots from just
                // past the previous level up to this one) so the line stays connected.
                let run: ClosedRange<Int>
                if let p = previous, p < level {
                    run = (p + 1)...level
                } else if let p = previous, p > level {
                    run = level...(p - 1)
                } else {
                    run = level...level
                }
                for l in run {
                    let dx = dx0 + i
                    let cellX = dx / 2
                    let dy = dotRows - 1 - l
                    let cellY = dy / 4
                    let idx = cellY * width + cellX
                    bits[idx] |= brailleBit(column: dx % 2, row: dy % 4)
                    owner[idx] = si
                }
                previous = level
            }
        }
        for cy in 0..<height {
            for cx in 0..<width {
                let idx = cy * width + cx
                guard bits[idx] != 0, owner[idx] >= 0,
                    let scalar = Unicode.Scalar(0x2800 + UInt32(bits[idx]))
                else { continue }
                buffer[x + cx, y + cy] = Cell(
                    scalar, style: CellStyle(color: Glyphs.seriesColor(series[owner[idx]].method)))
            }
        }
    }

    /// The braille dot bit for a column (0, 1) and row (0 top … 3 bottom) inside one cell.
    static func brailleBit(column: Int, row: Int) -> UInt8 {
        switch (column, row) {
        case (0, 0): 0x01
        case (0, 1): 0x02
        case (0, 2): 0x04
        case (0, _): 0x40
        case (_, 0): 0x08
        case (_, 1): 0x10
        case (_, 2): 0x20
        default: 0x80
        }
    }
}
