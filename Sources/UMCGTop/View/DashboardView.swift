import UMCGSystem

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

}
