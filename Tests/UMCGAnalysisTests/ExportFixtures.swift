import UMCGAnalysis
import UMCGTrace

/// One record of a synthetic trace, in file order.
enum ExportRecord {
    case event(TraceEvent)
    case snapshot(Snapshot)
    case gap(timestamp: UInt64, count: UInt64)
}

/// A deterministic pseudo-random generator (ExportRNG).
struct ExportRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + next() % (range.upperBound - range.lowerBound + 1)
    }
}

/// A synthetic run: a small M:N scheduler simulated step by step, with what it did counted
/// independently of the exporters.
struct ExportScenario {
    var info: RunInfo
    var records: [ExportRecord] = []
    /// Context switches the simulation performed (in, out, or worker to worker).
    var laneSwitches = 0
    /// Wake and timeout events emitted.
    var wakings = 0
    /// Baseline samples emitted: method → (timestamp, cycles since previous).
    var samples: [BaselineMethod: [(UInt64, UInt64)]] = [:]
    /// Event count per kind.
    var kinds: [TraceEventKind: Int] = [:]

    static let start: UInt64 = 5_000_000_000

    static func info(servers: Int, workers: Int) -> RunInfo {
        var entities: [Entity] = []
        for s in 0..<servers {
            entities.append(Entity(kind: .server, id: UInt32(s), name: "srv\(s)", tid: Int32(1000 + s)))
        }
        for w in 0..<workers {
            // The last worker has no known tid: the exporter must invent a stable pid.
            let tid: Int32 = w == workers - 1 ? 0 : Int32(2000 + w)
            entities.append(Entity(kind: .worker, id: UInt32(w), name: "mixed-\(w)", tid: tid))
        }
        return RunInfo(
            backend: "emulated", backendReason: "test", kernel: "Linux 6.1", hostname: "test", cpus: 2,
            scenario: "mixed servers=\(servers) workers=\(workers)", wallClockAnchorNs: 1_800_000_000_000_000_000,
            monotonicAnchorNs: start, entities: entities)
    }

    mutating func emit(_ event: TraceEvent) {
        records.append(.event(event))
        kinds[event.kind, default: 0] += 1
    }

    /// Simulates `steps` scheduling steps on `servers` servers and `workers` workers.
    static func simulated(servers: Int = 3, workers: Int = 6, steps: Int = 3000, seed: UInt64 = 42) -> ExportScenario {
        var sc = ExportScenario(info: info(servers: servers, workers: workers))
        var rng = ExportRNG(state: seed)
        var t = start
        var runnable: [UInt32] = []
        var blocked: [(worker: UInt32, until: UInt64, timeout: Bool)] = []
        var running: [UInt32?] = Array(repeating: nil, count: servers)
        var serverIdle = Array(repeating: false, count: servers)
        var cycles: [BaselineMethod: UInt64] = [.futex: 0, .condvar: 0]
        var nextSample = start + 50_000_000
        var sampleRound = 0
        var nextKeyframe = start + 1_000_000_000
        var switchCount = Array(repeating: UInt64(0), count: servers)

        for w in 0..<workers {
            sc.emit(TraceEvent(timestamp: t, kind: .register, worker: UInt32(w), arg: UInt64(2000 + w)))
            sc.emit(TraceEvent(timestamp: t, kind: .wake, worker: UInt32(w)))
            sc.wakings += 1
            runnable.append(UInt32(w))
        }
        for step in 0..<steps {
            t += rng.next(5_000...400_000)
            let s = step % servers
            let server = UInt16(s)
            // Wake workers whose blocking section or timeout ended.
            for entry in blocked where entry.until <= t {
                sc.emit(
                    TraceEvent(timestamp: t, kind: entry.timeout ? .timeout : .wake, worker: entry.worker, arg: 1000))
                sc.wakings += 1
                runnable.append(entry.worker)
            }
            blocked.removeAll { $0.until <= t }
            if let w = running[s] {
                let roll = rng.next(0...99)
                if roll < 35 {
                    sc.emit(TraceEvent(timestamp: t, kind: .wait, server: server, worker: w, arg: 500))
                    runnable.append(w)
                    running[s] = nil
                    sc.laneSwitches += 1
                } else if roll < 55 {
                    let reason = rng.next(0...5)
                    sc.emit(TraceEvent(timestamp: t, kind: .block, server: server, worker: w, arg: reason))
                    blocked.append((w, t + rng.next(100_000...3_000_000), reason == 1 && rng.next(0...1) == 0))
                    running[s] = nil
                    sc.laneSwitches += 1
                } else if roll < 65 {
                    sc.emit(TraceEvent(timestamp: t, kind: .preempt, server: server, worker: w, arg: 100_000_000))
                    runnable.append(w)
                    running[s] = nil
                    sc.laneSwitches += 1
                } else if roll < 80, !runnable.isEmpty {
                    let next = runnable.removeFirst()
                    sc.emit(TraceEvent(timestamp: t, kind: .handoff, server: server, worker: w, arg: UInt64(next)))
                    // The ABI: the server later sees a WAIT for the worker that handed off.
                    sc.emit(TraceEvent(timestamp: t + 1, kind: .wait, server: server, worker: w))
                    runnable.append(w)
                    running[s] = next
                    sc.laneSwitches += 1
                    switchCount[s] += 1
                }
            } else if !runnable.isEmpty {
                let w = runnable.removeFirst()
                if serverIdle[s] {
                    sc.emit(TraceEvent(timestamp: t, kind: .serverWake, server: server, arg: 1000))
                    serverIdle[s] = false
                }
                sc.emit(TraceEvent(timestamp: t, kind: .switchTo, server: server, worker: w, arg: 2000))
                running[s] = w
                sc.laneSwitches += 1
                switchCount[s] += 1
            } else if !serverIdle[s] {
                sc.emit(TraceEvent(timestamp: t, kind: .serverIdle, server: server))
                serverIdle[s] = true
            }
            if t >= nextSample {
                // The methods take turns, one slice each, as the live baselines run them.
                sampleRound += 1
                for method in [sampleRound % 2 == 0 ? BaselineMethod.futex : .condvar] {
                    let c = method == .futex ? rng.next(10_000...20_000) : rng.next(5_000...10_000)
                    cycles[method, default: 0] += c
                    sc.samples[method, default: []].append((t, c))
                    sc.emit(TraceEvent(timestamp: t, kind: .baselineSample, worker: UInt32(method.rawValue), arg: c))
                }
                nextSample += 50_000_000
            }
            if t >= nextKeyframe {
                let snap = Snapshot(
                    timestamp: t,
                    servers: (0..<servers).map { i in
                        var c = ServerCounters(
                            id: UInt16(i), state: running[i] == nil ? .idle : .running,
                            currentWorker: running[i] ?? TraceEvent.noWorker)
                        c.switches = switchCount[i]
                        return c
                    },
                    workers: (0..<workers).map { WorkerCounters(id: UInt32($0), state: .runnable) },
                    baselines: [
                        BaselineCounters(
                            method: .futex, cycles: cycles[.futex] ?? 0, activeNanos: t - start, placement: "same-cpu"),
                        BaselineCounters(
                            method: .condvar, cycles: cycles[.condvar] ?? 0, activeNanos: t - start,
                            placement: "same-cpu"),
                    ])
                sc.emit(TraceEvent(timestamp: t, kind: .keyframe))
                sc.records.append(.snapshot(snap))
                nextKeyframe += 1_000_000_000
            }
        }
        t += 1000
        for w in 0..<workers {
            let worker = UInt32(w)
            let server = running.firstIndex(of: worker)
            sc.emit(
                TraceEvent(
                    timestamp: t, kind: .exit, server: server.map { UInt16($0) } ?? TraceEvent.noServer, worker: worker)
            )
            if let server {
                running[server] = nil
                sc.laneSwitches += 1
            }
        }
        return sc
    }

    /// Feeds every record to `exporter` and finishes it.
    func feed<E: TraceExporter>(_ exporter: inout E) throws {
        for record in records {
            switch record {
            case .event(let e): try exporter.add(e)
            case .snapshot(let s): try exporter.add(s)
            case .gap(let ts, let count): try exporter.addGap(timestamp: ts, count: count)
            }
        }
        try exporter.finish()
    }
}
