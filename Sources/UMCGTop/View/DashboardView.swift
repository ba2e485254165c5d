/// The whole dashboard as a pure function of the model: the terminal copies the grid.
public enum DashboardView {
    /// Renders `model` into a `width`×`height` grid.
    public static func render(_ model: DashboardModel, width: Int, height: Int) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: width, height: height)
        let layout = DashboardLayout(model: model, width: width, height: height)
        guard layout.fits else {
            TooSmallView.draw(into: &buffer)
            return buffer
        }
        StatusLineView.draw(model, into: &buffer)
        if let row = model.detailRow {
            DetailView.draw(row, model: model, layout: layout, into: &buffer)
        } else {
            ServersPanel.draw(model, layout: layout, into: &buffer)
            SwitchRatePanel.draw(model, layout: layout, into: &buffer)
            WorkersPanel.draw(model, layout: layout, into: &buffer)
        }
        FooterView.draw(model, layout: layout, into: &buffer)
        if model.ui.showHelp { HelpOverlay.draw(model, into: &buffer) }
        return buffer
    }

    /// The smallest size the dashboard draws on.
    public static let minimumSize = (width: DashboardLayout.minWidth, height: DashboardLayout.minHeight)
}

/// Below the minimum size: one centered message instead of a broken layout.
enum TooSmallView {
    static func draw(into buffer: inout ScreenBuffer) {
        let msg =
            "terminal too small (need \(DashboardLayout.minWidth)×\(DashboardLayout.minHeight), have \(buffer.width)×\(buffer.height))"
        let lines = buffer.width >= msg.count ? [msg] : wrap(msg, width: max(1, buffer.width))
        let top = max(0, (buffer.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (buffer.width - line.unicodeScalars.count) / 2)
            buffer.put(line, x: x, y: top + i, style: CellStyle(color: .warn, bold: true))
        }
    }

    /// Greedy word wrap.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if candidate.unicodeScalars.count <= width || current.isEmpty {
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
