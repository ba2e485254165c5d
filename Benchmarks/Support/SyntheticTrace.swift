import Benchmark
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// Synthetic but realistic UMCG traces: servers switching workers in, workers waiting, blocking,
/// waking, being preempted and handing off, servers going idle, baseline samples and rare drops.
public enum SyntheticTrace {
    /// The run header for `servers` servers and `workers` workers.
    public static func info(servers: Int, workers: Int) -> RunInfo {
        var entities: [Entity] = []
        for s in 0..<servers {
            entities.append(Entity(kind: .server, id: UInt32(s), name: "srv\(s)", tid: 1000 + Int32(s)))
        }
        for w in 0..<workers {
            entities.append(Entity(kind: .worker, id: UInt32(w), name: "mixed-\(w)", tid: 2000 + Int32(w)))
        }
        return RunInfo(
            backend: "emulated", backendReason: "benchmark", kernel: "Linux", hostname: "bench",
            cpus: 2, scenario: "mixed servers=\(servers) workers=\(workers)",
            wallClockAnchorNs: 1_700_000_000_000_000_000, monotonicAnchorNs: 1_000_000_000, entities: entities)
    }

    /// One `.register` event per worker, starting at `start` ns.
    public static func registrations(workers: Int, start: UInt64) -> [TraceEvent] {
        (0..<workers).map { w in
            TraceEvent(timestamp: start + UInt64(w), kind: .register, worker: UInt32(w), arg: UInt64(2000 + w))
        }
    }

    /// A steady-state event stream (no register/exit) of exactly `count` events in time order from `start`;
    /// the mean gap between events is about `meanGapNanos`. Roughly 1 event in 1000 is a `.dropped` marker.
    public static func events(
        count: Int, seed: UInt64, servers: Int, workers: Int, start: UInt64 = 1_000_000_000,
        meanGapNanos: UInt64 = 2_000
    ) -> [TraceEvent] {
        var rng = SplitMix64(seed: seed)
        var t = start
        var out: [TraceEvent] = []
        out.reserveCapacity(count + 2)
        var blocked = [Bool](repeating: false, count: workers)
        let gap = max(2, meanGapNanos)
        func step() -> UInt64 { UInt64.random(in: gap / 2...gap * 3 / 2, using: &rng) }
        while out.count < count {
            t += step()
            let s = UInt16(Int.random(in: 0..<servers, using: &rng))
            let w = UInt32(Int.random(in: 0..<workers, using: &rng))
            let cpu = s % 2
            let roll = Int.random(in: 0..<1000, using: &rng)
            if roll < 1 {
                out.append(TraceEvent(timestamp: t, kind: .dropped, server: s, cpu: cpu, arg: 7))
            } else if blocked[Int(w)] {
                blocked[Int(w)] = false
                out.append(TraceEvent(timestamp: t, kind: .wake, server: s, worker: w, cpu: cpu, arg: 5 * gap))
            } else if roll < 20 {
                out.append(TraceEvent(timestamp: t, kind: .serverIdle, server: s, cpu: cpu))
                t += step()
                out.append(TraceEvent(timestamp: t, kind: .serverWake, server: s, cpu: cpu, arg: gap))
            } else if roll < 30 {
                let method = UInt32(1 + roll % 3)
                out.append(TraceEvent(timestamp: t, kind: .baselineSample, worker: method, arg: 1000 + UInt64(roll)))
            } else {
                out.append(TraceEvent(timestamp: t, kind: .switchTo, server: s, worker: w, cpu: cpu, arg: gap))
                t += step()
                let ran = step()
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<50:
                    out.append(TraceEvent(timestamp: t, kind: .wait, server: s, worker: w, cpu: cpu, arg: ran))
                case 50..<80:
                    blocked[Int(w)] = true
                    out.append(TraceEvent(timestamp: t, kind: .block, server: s, worker: w, cpu: cpu, arg: 3))
                case 80..<88:
                    out.append(TraceEvent(timestamp: t, kind: .preempt, server: s, worker: w, cpu: cpu, arg: ran))
                case 88..<94:
                    let next = UInt64((w + 1) % UInt32(workers))
                    out.append(TraceEvent(timestamp: t, kind: .handoff, server: s, worker: w, cpu: cpu, arg: next))
                default:
                    out.append(TraceEvent(timestamp: t, kind: .wait, server: s, worker: w, cpu: cpu, arg: ran))
                    out.append(TraceEvent(timestamp: t + 1, kind: .timeout, server: s, worker: w, cpu: cpu))
                }
            }
        }
        out.removeSubrange(count...)
        return out
    }

    /// A lossless snapshot (keyframe) at `t` for `servers` servers and `workers` workers.
    public static func snapshot(at t: UInt64, servers: Int, workers: Int) -> Snapshot {
        let s = (0..<servers).map { i in
            var c = ServerCounters(id: UInt16(i), state: .running, currentWorker: UInt32(i % max(1, workers)))
            c.switches = t / 10_000
            c.busyNanos = t / 2
            c.idleNanos = t / 3
            c.runQueueDepth = 3
            c.events = t / 3_000
            return c
        }
        let w = (0..<workers).map { i in
            var c = WorkerCounters(
                id: UInt32(i), state: WorkerState.allCases[i % WorkerState.allCases.count],
                server: UInt16(i % max(1, servers)))
            c.switches = t / 50_000
            c.blocks = c.switches / 3
            c.wakes = c.blocks
            c.waits = c.switches / 2
            c.runNanos = t / 4
            c.runnableNanos = t / 5
            c.blockedNanos = t / 6
            return c
        }
        let b = [
            BaselineCounters(method: .futex, cycles: t / 5000, activeNanos: t, placement: "same-cpu"),
            BaselineCounters(method: .condvar, cycles: t / 9000, activeNanos: t, placement: "same-cpu"),
        ]
        return Snapshot(timestamp: t, servers: s, workers: w, baselines: b, droppedEvents: 0)
    }

    /// Writes `events` to a trace file at `path` (replacing it) with a keyframe at the first event and then
    /// every `keyframeEvery` ns of event time, as the live pump does. Returns the bytes written.
    @discardableResult
    public static func write(
        _ events: [TraceEvent], to path: String, info: RunInfo, keyframeEvery: UInt64
    ) throws(TraceFileError) -> UInt64 {
        let servers = info.entities.count { $0.kind == .server }
        let workers = info.entities.count { $0.kind == .worker }
        let writer = try TraceWriter(path: path, info: info, force: true)
        var nextKeyframe = events.first?.timestamp ?? 0
        for e in events {
            if e.timestamp >= nextKeyframe {
                try writer.appendKeyframe(snapshot(at: e.timestamp, servers: servers, workers: workers))
                nextKeyframe = e.timestamp + keyframeEvery
            }
            try writer.append(e)
        }
        try writer.finish()
        return writer.bytesWritten
    }
}

/// Where benchmarks put their scratch trace files: tmpfs when there is one, so fsync costs nothing.
public enum Scratch {
    /// A path for a scratch file called `name` (in /dev/shm if writable, else /tmp), unique to this process.
    public static func path(_ name: String) -> String {
        let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        return "\(dir)/umcgtop-bench-\(getpid())-\(name).umcgtrace"
    }

    /// Removes a scratch file (ignores errors: it may not exist).
    public static func remove(_ path: String) { _ = unlink(path) }
}

/// The configuration every umcgtop benchmark uses: throughput, mallocs and wall clock, a short run.
public func umcgConfiguration(
    scaling: BenchmarkScalingFactor, seconds: Int = 2, setup: Benchmark.BenchmarkSetupHook? = nil,
    teardown: Benchmark.BenchmarkTeardownHook? = nil
) -> Benchmark.Configuration {
    .init(
        metrics: [.throughput, .mallocCountTotal, .wallClock], warmupIterations: 1, scalingFactor: scaling,
        maxDuration: .seconds(seconds), maxIterations: 100_000, setup: setup, teardown: teardown)
}
