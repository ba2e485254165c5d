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
        var grew = false
        for e in entities where e.kind == .worker && e.id < UInt32(Self.maxWorkers) {
            guard !fold.events.addDenseWorkers([e.id]).isEmpty else { continue }
            fold.workerRows.append(WorkerRow(id: e.id, name: e.name, historyCapacity: capacity))
            fold.workerTracks.append(WorkerTrack())
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
