/// Keyframe payload: a `Snapshot` as varints.
///
///     varint timestamp, varint droppedEvents,
///     varint server count, servers (varint id, u8 state, varint currentWorker+1, varint switches,
///         busyNanos, idleNanos, runQueueDepth, events),
///     varint worker count, workers (varint id, u8 state, varint server+1, varint switches, blocks, wakes,
///         waits, preemptions, timeouts, runNanos, runnableNanos, blockedNanos),
///     varint baseline count, baselines (u8 method, varint cycles, activeNanos, string placement)
/// "+1" fields map the "none" value (all ones) to 0.
extension Snapshot {
    /// The keyframe payload for this snapshot.
    func encodedKeyframe() -> [UInt8] {
        var w = ByteWriter(capacity: 32 + servers.count * 24 + workers.count * 32 + baselines.count * 24)
        w.varint(timestamp)
        w.varint(droppedEvents)
        w.varint(UInt64(servers.count))
        for s in servers {
            w.varint(UInt64(s.id))
            w.u8(s.state.rawValue)
            w.varint(UInt64(s.currentWorker &+ 1))
            for v in [s.switches, s.busyNanos, s.idleNanos, UInt64(s.runQueueDepth), s.events] { w.varint(v) }
        }
        w.varint(UInt64(workers.count))
        for x in workers {
            w.varint(UInt64(x.id))
            w.u8(x.state.rawValue)
            w.varint(UInt64(x.server &+ 1))
            for v in [
                x.switches, x.blocks, x.wakes, x.waits, x.preemptions, x.timeouts, x.runNanos, x.runnableNanos,
                x.blockedNanos,
            ] { w.varint(v) }
        }
        w.varint(UInt64(baselines.count))
        for b in baselines {
            w.u8(b.method.rawValue)
            w.varint(b.cycles)
            w.varint(b.activeNanos)
            w.string(b.placement, maxLength: 64)
        }
        return w.bytes
    }

    /// Decodes a keyframe payload that starts at file offset `base`.
    static func decodeKeyframe(_ payload: [UInt8], base: Int) throws(TraceFileError) -> Snapshot {
        var r = ByteReader(payload, base: base)
        let timestamp = try r.varint("keyframe timestamp")
        let dropped = try r.varint("keyframe dropped count")
        let serverCount = try r.count("server count", minBytes: 8, max: TraceFormat.maxEntities)
        var servers: [ServerCounters] = []
        servers.reserveCapacity(serverCount)
        for _ in 0..<serverCount {
            let id = UInt16(try r.varint("server id", max: UInt64(UInt16.max)))
            let rawState = try r.u8("server state")
            guard let state = ServerState(rawValue: rawState) else { throw r.error("unknown server state \(rawState)") }
            let current = UInt32(truncatingIfNeeded: try r.varint("current worker", max: 1 << 32) &- 1)
            var s = ServerCounters(id: id, state: state, currentWorker: current)
            s.switches = try r.varint("server switches")
            s.busyNanos = try r.varint("server busy ns")
            s.idleNanos = try r.varint("server idle ns")
            s.runQueueDepth = UInt32(try r.varint("run-queue depth", max: UInt64(UInt32.max)))
            s.events = try r.varint("server events")
            servers.append(s)
        }
        let workerCount = try r.count("worker count", minBytes: 12, max: TraceFormat.maxEntities)
        var workers: [WorkerCounters] = []
        workers.reserveCapacity(workerCount)
        for _ in 0..<workerCount {
            let id = UInt32(try r.varint("worker id", max: UInt64(UInt32.max)))
            let rawState = try r.u8("worker state")
            guard let state = WorkerState(rawValue: rawState) else { throw r.error("unknown worker state \(rawState)") }
            let server = UInt16(truncatingIfNeeded: try r.varint("worker server", max: 1 << 16) &- 1)
            var x = WorkerCounters(id: id, state: state, server: server)
            x.switches = try r.varint("worker switches")
            x.blocks = try r.varint("worker blocks")
            x.wakes = try r.varint("worker wakes")
            x.waits = try r.varint("worker waits")
            x.preemptions = try r.varint("worker preemptions")
            x.timeouts = try r.varint("worker timeouts")
            x.runNanos = try r.varint("worker run ns")
            x.runnableNanos = try r.varint("worker runnable ns")
            x.blockedNanos = try r.varint("worker blocked ns")
            workers.append(x)
        }
        let baselineCount = try r.count("baseline count", minBytes: 4, max: 256)
        var baselines: [BaselineCounters] = []
        baselines.reserveCapacity(baselineCount)
        for _ in 0..<baselineCount {
            let rawMethod = try r.u8("baseline method")
            guard let method = BaselineMethod(rawValue: rawMethod) else {
                throw r.error("unknown baseline method \(rawMethod)")
            }
            let cycles = try r.varint("baseline cycles")
            let active = try r.varint("baseline active ns")
            let placement = try r.string("baseline placement", maxLength: 64)
            baselines.append(
                BaselineCounters(method: method, cycles: cycles, activeNanos: active, placement: placement))
        }
        if r.remaining != 0 { throw r.error("\(r.remaining) unexpected bytes at the end of a keyframe") }
        return Snapshot(
            timestamp: timestamp, servers: servers, workers: workers, baselines: baselines, droppedEvents: dropped)
    }
}
