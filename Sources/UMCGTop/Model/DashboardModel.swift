import UMCGSystem
import UMCGTrace

/// Everything the views draw: plain data folded by the `Aggregator` plus the user's UI state.
public struct DashboardModel: Equatable, Sendable {
    /// Live or replay.
    public var mode: DashboardMode
    /// Drawing and refresh options.
    public var options: DashboardOptions
    /// Status-line facts.
    public var status: DashboardStatus
    /// One row per server id in the entity table: `servers[i].id == i`.
    public var servers: [ServerRow]
    /// One row per worker id in the entity table: `workers[i].id == i`.
    public var workers: [WorkerRow]
    /// UMCG / futex / condvar cycles per second.
    public var rates: SwitchRates
    /// Selection, sort, filter, overlays, pause.
    public var ui = UIState()

    /// Creates an empty model for the entities of `info`.
    public init(info: RunInfo, mode: DashboardMode, options: DashboardOptions) {
        self.mode = mode
        self.options = options
        status = DashboardStatus(backend: info.backend, backendReason: info.backendReason, scenario: info.scenario)
        let cap = options.historyCapacity
        let serverEntities = info.entities.filter { $0.kind == .server && $0.id < UInt32(Aggregator.maxServers) }
        let workerEntities = info.entities.filter { $0.kind == .worker && $0.id < UInt32(Aggregator.maxWorkers) }
        let serverCount = (serverEntities.map { Int($0.id) }.max() ?? -1) + 1
        let workerCount = (workerEntities.map { Int($0.id) }.max() ?? -1) + 1
        servers = (0..<serverCount).map { ServerRow(id: UInt16($0), name: "srv\($0)", historyCapacity: cap) }
        let workerCap = min(cap, Aggregator.workerHistoryCapacity)
        workers = (0..<workerCount).map { WorkerRow(id: UInt32($0), name: "w\($0)", historyCapacity: workerCap) }
        for e in serverEntities { servers[Int(e.id)].name = e.name }
        for e in workerEntities { workers[Int(e.id)].name = e.name }
        rates = SwitchRates(historyCapacity: cap)
    }

    /// Whether the given dense ids exist.
    public func hasWorker(_ id: UInt32) -> Bool { Int(id) < workers.count }

    /// The server's name, or "-" for none / out of range.
    public func serverName(_ id: UInt16) -> String {
        Int(id) < servers.count ? servers[Int(id)].name : "-"
    }

    /// The worker's name, or "-" for none / out of range.
    public func workerName(_ id: UInt32) -> String {
        Int(id) < workers.count ? workers[Int(id)].name : "-"
    }

    /// Whether a worker passes the applied filter: a case-insensitive substring of its name,
    /// or exactly its state ("blocked") or its server's name ("srv1").
    public func matchesFilter(_ row: WorkerRow) -> Bool {
        let f = ui.filter.lowercased()
        if f.isEmpty { return true }
        if row.name.lowercased().contains(f) { return true }
        if row.state.description == f { return true }
        return serverName(row.server).lowercased() == f
    }

    /// Indices into `workers` of the rows to show: filtered, sorted, ties broken by ascending id.
    public var visibleWorkerIndices: [Int] {
        var idx = ui.filter.isEmpty ? Array(workers.indices) : workers.indices.filter { matchesFilter(workers[$0]) }
        let desc = ui.sortDescending
        // Rows are indexed by id (`workers[i].id == i`), so the index is the tiebreak.
        if ui.sortColumn == .name {
            idx.sort { a, b in
                let x = workers[a].name
                let y = workers[b].name
                if x != y { return desc ? x > y : x < y }
                return a < b
            }
        } else {
            let column = ui.sortColumn
            let key = workers.map { Self.sortKey($0, column) }
            idx.sort { a, b in
                if key[a] != key[b] { return desc ? key[a] > key[b] : key[a] < key[b] }
                return a < b
            }
        }
        return idx
    }

    /// A numeric sort key for every column but `.name`.
    static func sortKey(_ r: WorkerRow, _ column: WorkerSortColumn) -> Double {
        switch column {
        case .id, .name: Double(r.id)
        case .state: Double(r.state.rawValue)
        case .server: Double(r.server)
        case .switchRate: r.switchesPerSecond
        case .run: r.split.run
        case .blocked: r.split.blocked
        case .p50: Double(r.wakeToRunP50 ?? 0)
        case .p99: Double(r.wakeToRunP99 ?? 0)
        }
    }

    /// The worker shown in the detail view, if any and in range.
    public var detailRow: WorkerRow? {
        guard let id = ui.detailWorker, Int(id) < workers.count else { return nil }
        return workers[Int(id)]
    }
}
