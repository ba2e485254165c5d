import UMCGSystem

/// Where each panel goes for a screen size: one place that decides rows, so the model
/// (page moves) and the views agree.
struct DashboardLayout: Equatable {
    /// Smallest screen the dashboard draws on.
    static let minWidth = 60
    static let minHeight = 16

    let width: Int
    let height: Int
    /// False below the minimum size: draw "terminal too small".
    let fits: Bool
    /// Servers panel: header row and server rows shown.
    let serversY: Int
    let serverRows: Int
    /// Switch-rate panel: header row and graph rows.
    let ratesY: Int
    let graphRows: Int
    /// Workers panel: header row and table rows.
    let workersY: Int
    let workerRows: Int
    /// Footer row.
    let footerY: Int

    init(model: DashboardModel, width: Int, height: Int) {
        self.width = width
        self.height = height
        fits = width >= Self.minWidth && height >= Self.minHeight
        let serverCap = height >= 36 ? 8 : (height >= 24 ? 4 : 2)
        let baseServers = min(max(model.servers.count, 1), serverCap)
        let baseGraph = height >= 36 ? 10 : (height >= 24 ? 5 : 3)
        serversY = 1
        footerY = max(0, height - 1)
        // Rows the Workers table would leave empty go to hidden servers, then to the graph.
        let tableRows = footerY - (serversY + 1 + baseServers + 1 + baseGraph) - 1
        var spare = max(0, tableRows - model.workers.count - 1)
        let moreServers = min(spare, max(0, model.servers.count - baseServers))
        spare -= moreServers
        serverRows = baseServers + moreServers
        ratesY = serversY + 1 + serverRows
        // Every spare row goes to the graph: a taller time axis beats blank table rows.
        graphRows = baseGraph + spare
        workersY = ratesY + 1 + graphRows
        workerRows = max(0, footerY - workersY - 1)
    }
}
