import UMCGTrace

extension ServerScheduler {
    /// Accounts the direct handoffs made under the CTX_SWITCH that just returned (`HandoffLog`), in
    /// order, as the worker-form CTX_SWITCH's WAIT is: per handoff a WAIT and a `.handoff` of the
    /// worker that handed off, then a switch of its target, all at the handoff's time; then queues
    /// each worker that handed off and was not switched to again later in the chain (the last
    /// target is the worker whose stop event the CTX_SWITCH returned).
    mutating func accountHandoffs() {
        let log = HandoffLog(rows: srv, server: index)
        let n = log.count
        guard n > 0 else { return }
        for i in 0..<n {
            let (from, to, h) = log.entry(i)
            guard from < workerCount, to < workerCount else { continue }
            srv.add(index, ServerField.events, 1)
            srv.add(index, ServerField.handoffs, 1)
            rows.add(from, WorkerField.waits, 1)
            rows.set(from, WorkerField.state, UInt64(WorkerState.waiting.rawValue))
            let ran = endRun(from, at: h)
            rows.set(from, WorkerField.runnableSince, h)
            trace(.wait, at: h, worker: from, arg: ran)
            trace(.handoff, at: h, worker: from, arg: UInt64(to))
            handoffSwitch(to: to, at: h, setsServer: false)
        }
        for i in 0..<n {
            let from = log.entry(i).from
            guard from < workerCount else { continue }
            var later = i + 1
            while later < n && log.entry(later).to != from { later += 1 }
            if later == n { enqueue(from) }
        }
        log.clear()
    }

    /// Accounts the switch a handoff made: `w` started running at `h` on this server. A direct
    /// handoff set `w`'s server itself (`setsServer` false): `w` may run on another one by now.
    mutating func handoffSwitch(to w: Int, at h: UInt64, setsServer: Bool = true) {
        let waited = h &- min(h, rows.get(w, WorkerField.runnableSince))
        rows.add(w, WorkerField.switches, 1)
        rows.add(w, WorkerField.runnableNanos, waited)
        srv.add(index, ServerField.switches, 1)
        // Relaxed max: a later switch of `w` by another server must not be overwritten.
        var cur = rows.get(w, WorkerField.switchedInAt)
        while cur < h {
            let (done, now) = rows.field(w, WorkerField.switchedInAt).pointee.compareExchange(
                expected: cur, desired: h, ordering: .relaxed)
            if done { break }
            cur = now
        }
        if rows.get(w, WorkerField.state) != UInt64(WorkerState.exited.rawValue) {
            rows.set(w, WorkerField.state, UInt64(WorkerState.running.rawValue))
            if setsServer { rows.set(w, WorkerField.server, UInt64(index)) }
        }
        trace(.switchTo, at: h, worker: w, arg: waited)
    }

}
