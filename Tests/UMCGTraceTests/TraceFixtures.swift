import UMCGSystem

@testable import UMCGTrace

/// An in-memory sink that can fail after a number of bytes, writing only part of the failing write.
final class MemorySink: TraceSink {
    var bytes: [UInt8] = []
    /// Fail once the output would exceed this many bytes (ENOSPC), after writing up to it.
    var limit: Int
    var closed = false
    var syncs = 0

    init(limit: Int = .max) { self.limit = limit }

    func write(_ data: [UInt8]) throws(TraceFileError) {
        if closed { throw .closed(reason: "memory sink closed") }
        if bytes.count + data.count > limit {
            bytes.append(contentsOf: data.prefix(max(0, limit - bytes.count)))
            throw .system(operation: "write", path: "(memory)", errno: .ENOSPC)
        }
        bytes.append(contentsOf: data)
    }

    func truncate(to length: UInt64) -> Bool {
        if Int(length) <= bytes.count { bytes.removeSubrange(Int(length)...) }
        return true
    }

    func sync() throws(TraceFileError) { syncs += 1 }
    func close() throws(TraceFileError) { closed = true }
}

/// Synthetic but realistic traces: several servers and workers, every event kind, drops, keyframes.
enum Fixture {
    static func info(servers: Int = 2, workers: Int = 8) -> RunInfo {
        var entities: [Entity] = []
        for s in 0..<servers {
            entities.append(Entity(kind: .server, id: UInt32(s), name: "srv\(s)", tid: 1000 + Int32(s)))
        }
        for w in 0..<workers {
            entities.append(Entity(kind: .worker, id: UInt32(w), name: "mixed-\(w)", tid: 2000 + Int32(w)))
        }
        return RunInfo(
            backend: "emulated", backendReason: "no UMCG syscall on Linux 6.1", kernel: "Linux 6.1.0", hostname: "test",
            cpus: 2, scenario: "mixed servers=\(servers) workers=\(workers)",
            wallClockAnchorNs: 1_700_000_000_000_000_000,
            monotonicAnchorNs: 1_000_000_000, entities: entities)
    }

    /// A mixed event stream in time order; `dropRate` in 1/1000 of events becomes a `.dropped` marker.
    static func events(count: Int, seed: UInt64, servers: Int = 2, workers: Int = 8, dropRate: Int = 2) -> [TraceEvent]
    {
        var rng = SplitMix64(seed: seed)
        var t: UInt64 = 1_000_000_000
        var out: [TraceEvent] = []
        out.reserveCapacity(count + workers)
        var blocked = [Bool](repeating: false, count: workers)
        for w in 0..<workers {
            t += 1000
            out.append(TraceEvent(timestamp: t, kind: .register, worker: UInt32(w), arg: UInt64(2000 + w)))
        }
        while out.count < count {
            t += UInt64.random(in: 100...3000, using: &rng)
            let s = UInt16(Int.random(in: 0..<servers, using: &rng))
            let w = UInt32(Int.random(in: 0..<workers, using: &rng))
            let cpu = s % 2
            let roll = Int.random(in: 0..<1000, using: &rng)
            if roll < dropRate {
                out.append(
                    TraceEvent(
                        timestamp: t, kind: .dropped, server: s, cpu: cpu, arg: UInt64.random(in: 1...500, using: &rng))
                )
                continue
            }
            if blocked[Int(w)] {
                blocked[Int(w)] = false
                out.append(
                    TraceEvent(
                        timestamp: t, kind: .wake, server: s, worker: w, cpu: cpu,
                        arg: UInt64.random(in: 5_000...2_000_000, using: &rng)))
                continue
            }
            if roll < 20 {
                out.append(TraceEvent(timestamp: t, kind: .serverIdle, server: s, cpu: cpu))
                t += UInt64.random(in: 1000...50_000, using: &rng)
                out.append(
                    TraceEvent(
                        timestamp: t, kind: .serverWake, server: s, cpu: cpu,
                        arg: UInt64.random(in: 1000...50_000, using: &rng)))
                continue
            }
            if roll < 30 {
                out.append(
                    TraceEvent(
                        timestamp: t, kind: .baselineSample, worker: UInt32(1 + roll % 3),
                        arg: UInt64.random(in: 100...4000, using: &rng)))
                continue
            }
            out.append(
                TraceEvent(
                    timestamp: t, kind: .switchTo, server: s, worker: w, cpu: cpu,
                    arg: UInt64.random(in: 200...40_000, using: &rng)))
            t += UInt64.random(in: 500...20_000, using: &rng)
            let ran = UInt64.random(in: 500...20_000, using: &rng)
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<50: out.append(TraceEvent(timestamp: t, kind: .wait, server: s, worker: w, cpu: cpu, arg: ran))
            case 50..<80:
                blocked[Int(w)] = true
                out.append(
                    TraceEvent(
                        timestamp: t, kind: .block, server: s, worker: w, cpu: cpu,
                        arg: UInt64.random(in: 0...5, using: &rng)))
            case 80..<88:
                out.append(
                    TraceEvent(timestamp: t, kind: .preempt, server: s, worker: w, cpu: cpu, arg: 100_000_000 + ran))
            case 88..<94:
                out.append(
                    TraceEvent(
                        timestamp: t, kind: .handoff, server: s, worker: w, cpu: cpu,
                        arg: UInt64((w + 1) % UInt32(workers))))
            default:
                out.append(TraceEvent(timestamp: t, kind: .wait, server: s, worker: w, cpu: cpu, arg: ran))
                out.append(TraceEvent(timestamp: t + 1, kind: .timeout, server: s, worker: w, cpu: cpu))
            }
        }
        for w in 0..<workers {
            t += 1000
            out.append(TraceEvent(timestamp: t, kind: .exit, worker: UInt32(w), arg: 0))
        }
        return out
    }

    static func snapshot(at t: UInt64, servers: Int = 2, workers: Int = 8, seed: UInt64 = 1) -> Snapshot {
        var rng = SplitMix64(seed: seed ^ t)
        let s = (0..<servers).map { i in
            var c = ServerCounters(id: UInt16(i), state: .running, currentWorker: UInt32(i))
            c.switches = UInt64.random(in: 0...1_000_000, using: &rng)
            c.busyNanos = t / 2
            c.idleNanos = t / 3
            c.runQueueDepth = 3
            c.events = c.switches * 3
            return c
        }
        let w = (0..<workers).map { i in
            var c = WorkerCounters(
                id: UInt32(i), state: WorkerState.allCases[i % WorkerState.allCases.count], server: UInt16(i % servers))
            c.switches = UInt64.random(in: 0...100_000, using: &rng)
            c.blocks = c.switches / 3
            c.wakes = c.blocks
            c.waits = c.switches / 2
            c.preemptions = 7
            c.timeouts = 2
            c.runNanos = t / 4
            c.runnableNanos = t / 5
            c.blockedNanos = t / 6
            return c
        }
        let b = [
            BaselineCounters(method: .futex, cycles: t / 5000, activeNanos: t, placement: "same-cpu"),
            BaselineCounters(method: .condvar, cycles: t / 9000, activeNanos: t, placement: "cross-cpu"),
        ]
        return Snapshot(timestamp: t, servers: s, workers: w, baselines: b, droppedEvents: 42)
    }

    /// Workers an entity record adds (`trace(entitiesAfter:)`).
    static let lateWorkers = [
        Entity(kind: .worker, id: 8, name: "late-8", tid: 3008), Entity(kind: .worker, id: 40_000, name: "far", tid: 1),
    ]

    /// Writes `events` into memory with a keyframe at the start and every `keyframeEvery` ns of event time
    /// (and an entity record of `lateWorkers` after `entitiesAfter` events, when given).
    /// Returns the file bytes and the records in the order written (entity records return none).
    static func trace(
        events: [TraceEvent], keyframeEvery: UInt64 = 1_000_000_000, chunkBytes: Int = 4096, finish: Bool = true,
        entitiesAfter: Int? = nil
    ) throws -> (bytes: [UInt8], records: [TraceRecord]) {
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: info(), chunkBytes: chunkBytes)
        var records: [TraceRecord] = []
        var nextKeyframe = (events.first?.timestamp ?? 0)
        for (i, e) in events.enumerated() {
            if i == entitiesAfter { try writer.appendEntities(lateWorkers, at: e.timestamp) }
            if e.timestamp >= nextKeyframe {
                let snap = snapshot(at: e.timestamp)
                try writer.appendKeyframe(snap)
                records.append(.keyframe(snap))
                let (sum, overflow) = e.timestamp.addingReportingOverflow(keyframeEvery)
                nextKeyframe = overflow ? .max : sum
            }
            try writer.append(e)
            if e.kind == .dropped {
                records.append(
                    .gap(TraceGap(timestamp: e.timestamp, count: e.arg, server: e.server, worker: e.worker, cpu: e.cpu))
                )
            } else {
                records.append(.event(e))
            }
        }
        if finish { try writer.finish() } else { try writer.flush() }
        return (sink.bytes, records)
    }

    /// Every record of a reader, in order.
    static func records(_ reader: TraceReader, from position: TracePosition? = nil) throws -> [TraceRecord] {
        var out: [TraceRecord] = []
        try reader.forEachRecord(from: position) { out.append($0) }
        return out
    }
}
