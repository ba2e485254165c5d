import UMCGSystem

/// Below the minimum size: one centered message instead of a broken layout.
enum TooSmallView {
    static func draw(into buffer: inout ScreenBuffer) {
        let msg =
            "terminal too small (need \(DashboardLayout.minWidth)×\(DashboardLayout.minHeight), have \(buffer.width)×\(buffer.height))"
        let lines = buffer.width >= msg.count ? [msg] : wrap(msg, width: max(1, buffer.width))
        let top = max(0, (buffer.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (buffer.width - DisplayWidth.width(line)) / 2)
            buffer.put(line, x: x, y: top + i, style: CellStyle(color: .warn, bold: true))
        }
    }

    /// Greedy word wrap.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if DisplayWidth.width(candidate) <= width || current.isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
