import UMCGTrace

extension Aggregator {
    /// Adds rows for workers that joined after the run began (`Engine.spawn` on a running engine,
    /// or a trace's entity record): one row per worker entity without a row yet, named by it, at the
    /// end of the table (ids skipped on the way get no row: the table is sized by the workers
    /// present, not by the highest id). Known ids and ids at or past `maxWorkers` change nothing.
    /// Returns whether the table grew.
    @discardableResult
    public func addWorkers(_ entities: [Entity]) -> Bool {
        let capacity = min(model.options.historyCapacity, Self.workerHistoryCapacity)
        // One access: a pump folding meanwhile sees each new worker's fold row and its dashboard
        // rows (recent events, windows) appear together.
        return foldBox.access { fold in
            var grew = false
            for e in entities where e.kind == .worker && e.id < UInt32(Self.maxWorkers) {
                guard !fold.events.addDenseWorkers([e.id]).isEmpty else { continue }
                fold.appendWorkerRow(WorkerRow(id: e.id, name: e.name, historyCapacity: capacity))
                grew = true
            }
            guard grew else { return false }
            // The views find rows by id: the new (empty) rows appear now, the rest at the next publish.
            model.workerSlots = fold.events.workerSlotTable
            if model.workers.count < fold.workerRows.count {
                model.workers.append(contentsOf: fold.workerRows[model.workers.count...])
            }
            return true
        }
    }

    /// Adds rows for servers that joined after the run began (an attached program registering its
    /// servers after publishing): the server table grows to the highest new id + 1 (ids at or past
    /// `maxServers` change nothing), rows named by their entities ("srvN" for ids in between).
    /// Returns whether the table grew.
    @discardableResult
    public func addServers(_ entities: [Entity]) -> Bool {
        let servers = entities.filter { $0.kind == .server && $0.id < UInt32(Self.maxServers) }
        guard let highest = servers.map({ Int($0.id) }).max() else { return false }
        let capacity = model.options.historyCapacity
        return foldBox.access { fold in
            guard fold.events.growDenseServers(to: highest + 1) else { return false }
            for id in fold.serverRows.count...highest {
                let name = servers.last { $0.id == UInt32(id) }?.name ?? "srv\(id)"
                fold.serverRows.append(ServerRow(id: UInt16(id), name: name, historyCapacity: capacity))
                fold.serverTracks.append(ServerTrack())
            }
            // The new (empty) rows appear now; their numbers at the next publish.
            model.servers = fold.serverRows
            return true
        }
    }
}
