import UMCGTrace

extension Aggregator {
    /// Adds rows for workers that joined after the run began (`Engine.spawn` on a running engine):
    /// every worker entity whose id is at or past the end of the table grows it up to that id
    /// (ids skipped on the way read "w<id>" until named). Known ids and ids at or past
    /// `maxWorkers` change nothing. Returns whether the table grew.
    @discardableResult
    public func addWorkers(_ entities: [Entity]) -> Bool {
        let capacity = min(model.options.historyCapacity, Self.workerHistoryCapacity)
        var grew = false
        for e in entities where e.kind == .worker && e.id < UInt32(Self.maxWorkers) {
            let id = Int(e.id)
            guard id >= fold.workerRows.count else { continue }
            while fold.workerRows.count <= id {
                let n = fold.workerRows.count
                fold.workerRows.append(WorkerRow(id: UInt32(n), name: "w\(n)", historyCapacity: capacity))
                fold.workerTracks.append(WorkerTrack())
            }
            fold.workerRows[id].name = e.name
            grew = true
        }
        if grew { fold.events.growDenseWorkers(to: fold.workerRows.count) }
        // The views index rows by id: the new (empty) rows appear now, the rest at the next publish.
        if grew, model.workers.count < fold.workerRows.count {
            model.workers.append(contentsOf: fold.workerRows[model.workers.count...])
        }
        return grew
    }
}
