import UMCGEngine
import UMCGSystem
import UMCGTrace

/// The publisher thread's side of the tracer: the counter rows folded into a `Snapshot`, the
/// entities (with the names the threads gave themselves) into a `RunInfo`.
extension PreloadTracer {
    /// Every registered server's and worker's state and lossless counters, read now. Worker ids are
    /// the slots ever registered (a slot's counters add up over the threads that used it).
    func snapshot() -> Snapshot {
        let now = TraceClock.shared.nanos()
        var workerList: [WorkerCounters] = []
        var running: [UInt16: UInt32] = [:]
        var unpublished: UInt64 = 0
        for w in 0..<workerCapacity {
            let row = workers.row(w)
            let raw = row.get(WorkerRow.state)
            guard raw != 0 else { continue }
            let state = WorkerState(rawValue: UInt8(truncatingIfNeeded: raw)) ?? .unknown
            let server = UInt16(truncatingIfNeeded: row.get(WorkerRow.server))
            var c = WorkerCounters(id: UInt32(w), state: state, server: server)
            c.switches = row.get(WorkerRow.switches)
            c.blocks = row.get(WorkerRow.blocks)
            c.wakes = row.get(WorkerRow.wakes)
            c.waits = row.get(WorkerRow.waits)
            c.preemptions = row.get(WorkerRow.preemptions)
            c.timeouts = row.get(WorkerRow.timeouts)
            c.runNanos = row.get(WorkerRow.runNanos)
            c.runnableNanos = row.get(WorkerRow.runnableNanos)
            c.blockedNanos = row.get(WorkerRow.blockedNanos)
            unpublished &+= row.get(WorkerRow.unpublished)
            if state == .running, server != TraceEvent.noServer { running[server] = UInt32(w) }
            workerList.append(c)
        }
        var serverList: [ServerCounters] = []
        for s in 0..<serverCapacity {
            let row = servers.row(s)
            guard row.get(ServerRow.registered) != 0 else { continue }
            let state = ServerState(rawValue: UInt8(truncatingIfNeeded: row.get(ServerRow.state))) ?? .stopped
            let id = UInt16(s)
            var c = ServerCounters(
                id: id, state: state,
                currentWorker: state == .running ? running[id] ?? TraceEvent.noWorker : TraceEvent.noWorker)
            c.switches = row.get(ServerRow.switches)
            c.busyNanos =
                row.get(ServerRow.busyNanos)
                &+ (state == .stopped ? 0 : Self.busySinceRegistered(row, now: now))
            c.idleNanos = row.get(ServerRow.idleNanos)
            c.events = row.get(ServerRow.events)
            unpublished &+= row.get(ServerRow.unpublished)
            serverList.append(c)
        }
        let ringDrops = state.withLock { s in s.rings.reduce(UInt64(0)) { $0 &+ $1.dropped } }
        return Snapshot(
            timestamp: now, servers: serverList, workers: workerList, baselines: [],
            droppedEvents: ringDrops &+ unpublished)
    }

    /// The run facts: `backend` and why, the host, and every registered server and worker named by
    /// its thread's own name: `/proc/self/task/TID/comm` while it is registered (it may rename
    /// itself), else the name its thread had when it registered or last left (the thread may be gone).
    func runInfo(backend: String, reason: String, scenario: String) -> RunInfo {
        var entities: [Entity] = []
        for s in 0..<serverCapacity {
            let row = servers.row(s)
            guard row.get(ServerRow.registered) != 0 else { continue }
            let tid = Int32(truncatingIfNeeded: row.get(ServerRow.tid))
            let live = row.get(ServerRow.state) != UInt64(ServerState.stopped.rawValue)
            let name = Self.name(tid: tid, live: live, stored: row.name(at: ServerRow.name), fallback: "srv\(s)")
            entities.append(Entity(kind: .server, id: UInt32(s), name: name, tid: tid))
        }
        for w in 0..<workerCapacity {
            let row = workers.row(w)
            let state = row.get(WorkerRow.state)
            guard state != 0 else { continue }
            let tid = Int32(truncatingIfNeeded: row.get(WorkerRow.tid))
            let live = state != UInt64(WorkerState.exited.rawValue)
            let name = Self.name(tid: tid, live: live, stored: row.name(at: WorkerRow.name), fallback: "w\(w)")
            entities.append(Entity(kind: .worker, id: UInt32(w), name: name, tid: tid))
        }
        let host = Self.host
        return RunInfo(
            backend: backend, backendReason: reason, kernel: host.kernel, hostname: host.hostname,
            cpus: UInt32(host.cpus), scenario: scenario, wallClockAnchorNs: SystemClock.realtimeNanos(),
            monotonicAnchorNs: SystemClock.monotonicNanos(), entities: entities)
    }

    /// The host facts, read once.
    static let host = HostInfo.current()

    /// An entity's name: its live thread's, else the one stored in its row, else `fallback`.
    static func name(tid: Int32, live: Bool, stored: String, fallback: String) -> String {
        if live, tid > 0, let read = threadName(path: "/proc/self/task/\(tid)/comm"), !read.isEmpty { return read }
        return stored.isEmpty ? fallback : stored
    }

    /// The first line of a /proc comm file, nil when unreadable.
    static func threadName(path: String) -> String? {
        guard let bytes = try? FilePath.readSmallFile(path, limit: 64) else { return nil }
        return String(decoding: bytes.prefix { $0 != 0x0A && $0 != 0 }, as: UTF8.self)
    }
}
