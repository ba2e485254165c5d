import UMCGSystem
import UMCGTrace

/// What the engine allocates per worker, in bytes.
public struct EngineMemoryReport: Sendable, Equatable {
    /// Backend control block, tid-table share and event-queue slots (0 for the kernel backend).
    public var backendBytesPerWorker: Int
    /// The engine's counter row and run-queue slots.
    public var engineBytesPerWorker: Int
    /// The worker thread's stack reservation (virtual; touched pages only are resident).
    public var stackBytesPerWorker: Int

    /// Backend + engine bytes (without the stack).
    public var heapBytesPerWorker: Int { backendBytesPerWorker + engineBytesPerWorker }

    /// Creates a report.
    public init(backendBytesPerWorker: Int, engineBytesPerWorker: Int, stackBytesPerWorker: Int) {
        self.backendBytesPerWorker = backendBytesPerWorker
        self.engineBytesPerWorker = engineBytesPerWorker
        self.stackBytesPerWorker = stackBytesPerWorker
    }
}

extension Engine {
    /// Every server's and worker's state and lossless counters, read from atomics.
    public func snapshot() -> Snapshot {
        let now = TraceClock.shared.nanos()
        var servers: [ServerCounters] = []
        servers.reserveCapacity(configuration.servers)
        for s in 0..<configuration.servers {
            let state =
                ServerState(rawValue: UInt8(truncatingIfNeeded: serverRows.get(s, ServerField.state))) ?? .stopped
            let cur = serverRows.get(s, ServerField.current)
            var c = ServerCounters(
                id: UInt16(s), state: state, currentWorker: cur == 0 ? TraceEvent.noWorker : UInt32(cur - 1))
            c.switches = serverRows.get(s, ServerField.switches)
            c.busyNanos = serverRows.get(s, ServerField.busyNanos)
            c.idleNanos = serverRows.get(s, ServerField.idleNanos)
            c.events = serverRows.get(s, ServerField.events)
            c.runQueueDepth = UInt32(clamping: runQueues[s].approximateCount)
            servers.append(c)
        }
        var workers: [WorkerCounters] = []
        let spawned = spawnedWorkerCount
        workers.reserveCapacity(spawned)
        for w in 0..<spawned {
            let state =
                WorkerState(rawValue: UInt8(truncatingIfNeeded: workerRows.get(w, WorkerField.state))) ?? .unknown
            var c = WorkerCounters(
                id: UInt32(w), state: state, server: UInt16(truncatingIfNeeded: workerRows.get(w, WorkerField.server)))
            c.switches = workerRows.get(w, WorkerField.switches)
            c.blocks = workerRows.get(w, WorkerField.blocks)
            c.wakes = workerRows.get(w, WorkerField.wakes)
            c.waits = workerRows.get(w, WorkerField.waits)
            c.preemptions = workerRows.get(w, WorkerField.preemptions)
            c.timeouts = workerRows.get(w, WorkerField.timeouts)
            c.runNanos = workerRows.get(w, WorkerField.runNanos)
            c.runnableNanos = workerRows.get(w, WorkerField.runnableNanos)
            c.blockedNanos = workerRows.get(w, WorkerField.blockedNanos)
            workers.append(c)
        }
        return Snapshot(
            timestamp: now, servers: servers, workers: workers, baselines: [],
            droppedEvents: configuration.hub?.dropped ?? 0)
    }

    /// Servers ("srv0"…) then the workers spawned so far ("mixed-0"… or their own names), with
    /// thread ids once started.
    public var entities: [Entity] {
        let names = threads.withLock { $0.names }
        var out: [Entity] = []
        out.reserveCapacity(configuration.servers + names.count)
        for s in 0..<configuration.servers {
            out.append(
                Entity(
                    kind: .server, id: UInt32(s), name: "srv\(s)",
                    tid: Int32(truncatingIfNeeded: serverRows.get(s, ServerField.tid))))
        }
        for (w, name) in names.enumerated() {
            out.append(
                Entity(
                    kind: .worker, id: UInt32(w), name: name,
                    tid: Int32(truncatingIfNeeded: workerRows.get(w, WorkerField.tid))))
        }
        return out
    }

    /// The trace header facts of this run (anchors read now).
    public func runInfo() -> RunInfo {
        let wall = SystemClock.realtimeNanos()
        let mono = SystemClock.monotonicNanos()
        return RunInfo(
            backend: selection.kind.rawValue, backendReason: selection.reason, kernel: host.kernel,
            hostname: host.hostname,
            cpus: UInt32(host.cpus), scenario: configuration.scenario, wallClockAnchorNs: wall,
            monotonicAnchorNs: mono, entities: entities)
    }

    /// Bytes allocated per worker.
    public var memoryPerWorker: EngineMemoryReport {
        let backendBytes = (backend as? EmulatedBackend)?.bytesPerWorker ?? 0
        let queueBytes =
            configuration.servers * EventQueue.bytes(capacity: runQueues[0].capacity) / workerCapacity
        return EngineMemoryReport(
            backendBytesPerWorker: backendBytes, engineBytesPerWorker: workerRows.rowBytes + queueBytes,
            stackBytesPerWorker: stackPool?.stackBytes ?? configuration.workerStackBytes)
    }
}
