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
    /// One row per worker in the entity table (and per worker named later), in ascending id order
    /// as declared; `workerSlot(_:)` finds a worker's row by id. Sized by the workers present, not
    /// by the highest id: a crafted trace naming a few workers at huge ids costs a few rows.
    public var workers: [WorkerRow]
    /// `workers`' index of each worker id below its count, -1 for none (the fold's slot table:
    /// 4 bytes per id, shared with it copy-on-write).
    public var workerSlots: [Int32]
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
        servers = (0..<serverCount).map { ServerRow(id: UInt16($0), name: "srv\($0)", historyCapacity: cap) }
        for e in serverEntities { servers[Int(e.id)].name = e.name }
        // One row per declared worker (the last name of a repeated id wins), in id order.
        var names: [UInt32: String] = [:]
        for e in workerEntities { names[e.id] = e.name }
        let ids = names.keys.sorted()
        let workerCap = min(cap, Aggregator.workerHistoryCapacity)
        workers = ids.map { WorkerRow(id: $0, name: names[$0] ?? "w\($0)", historyCapacity: workerCap) }
        workerSlots = Array(repeating: -1, count: Int(ids.last.map { $0 + 1 } ?? 0))
        for (slot, id) in ids.enumerated() { workerSlots[Int(id)] = Int32(slot) }
        rates = SwitchRates(historyCapacity: cap)
    }

    /// The index in `workers` of worker `id`, nil if it has no row.
    public func workerSlot(_ id: UInt32) -> Int? {
        guard Int(id) < workerSlots.count else { return nil }
        let slot = workerSlots[Int(id)]
        return slot >= 0 ? Int(slot) : nil
    }

    /// Worker `id`'s row, nil if it has none.
    public func worker(_ id: UInt32) -> WorkerRow? { workerSlot(id).map { workers[$0] } }

    /// Whether worker `id` has a row.
    public func hasWorker(_ id: UInt32) -> Bool { workerSlot(id) != nil }

    /// The server's name, or "-" for none / out of range.
    public func serverName(_ id: UInt16) -> String {
        Int(id) < servers.count ? servers[Int(id)].name : "-"
    }

    /// The worker's name, or "-" for none / out of range.
    public func workerName(_ id: UInt32) -> String {
        worker(id)?.name ?? "-"
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
        // Ties: ascending id.
        if ui.sortColumn == .name {
            idx.sort { a, b in
                let x = workers[a].name
                let y = workers[b].name
                if x != y { return desc ? x > y : x < y }
                return workers[a].id < workers[b].id
            }
        } else {
            let column = ui.sortColumn
            let key = workers.map { Self.sortKey($0, column) }
            idx.sort { a, b in
                if key[a] != key[b] { return desc ? key[a] > key[b] : key[a] < key[b] }
                return workers[a].id < workers[b].id
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
        guard let id = ui.detailWorker else { return nil }
        return worker(id)
    }
}
