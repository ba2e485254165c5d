import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Many workers, several servers, random blocking sections and timeouts: nothing lost or stuck,
/// a worker never runs on two servers, every BLOCK gets its WAKE, counters match the trace.
@Suite struct StressTests {
    /// The engine: 2 servers × 64 workers × 400 steps of the stress mix, traced without drops.
    @Test func engineCountersMatchTheTrace() throws {
        let hub = TraceHub(ringCapacity: 1 << 19)
        let c = EngineConfiguration(
            servers: 2, workers: 0, workload: .mixed, reservedWorkers: 64, sliceNanos: 30_000, handoff: .adaptive,
            backend: .emulated, hub: hub, seed: 42, pinThreads: true, workerStackBytes: 128 << 10)
        let engine = try Engine(c)
        for w in 0..<64 { try engine.spawn(name: "stress-\(w)", StressWorkload(steps: 400)) }
        try engine.start()
        let finished = waitUntil(seconds: 60) { engine.exitedWorkerCount == 64 || engine.failedWorkers > 0 }
        engine.stop()
        #expect(finished, "workers stuck: \(64 - engine.exitedWorkerCount) never exited")
        #expect(engine.failedWorkers == 0)

        var count: [TraceEventKind: [Int]] = [:]
        for k in TraceEventKind.allCases { count[k] = Array(repeating: 0, count: 64) }
        var lastTs: [UInt16: UInt64] = [:]
        var monotonic = true
        hub.drain { e in
            if e.timestamp < lastTs[e.server, default: 0] { monotonic = false }
            lastTs[e.server] = e.timestamp
            guard e.worker != TraceEvent.noWorker, e.worker < 64 else { return }
            count[e.kind]![Int(e.worker)] += 1
        }
        #expect(hub.dropped == 0)
        #expect(monotonic)
        let snap = engine.snapshot()
        var totals = (switches: 0, yields: 0, blocks: 0, timeouts: 0, preempts: 0)
        for w in snap.workers {
            let i = Int(w.id)
            #expect(w.state == .exited)
            #expect(w.switches == UInt64(count[.switchTo]![i]))
            #expect(w.blocks == UInt64(count[.block]![i]))
            #expect(w.wakes == UInt64(count[.wake]![i]))
            #expect(w.waits == UInt64(count[.wait]![i]))
            #expect(w.timeouts == UInt64(count[.timeout]![i]))
            #expect(w.preemptions == UInt64(count[.preempt]![i]))
            #expect(count[.register]![i] == 1)
            #expect(count[.exit]![i] == 1)
            // Every BLOCK is followed by exactly one WAKE (the extra WAKE is the registration's).
            #expect(w.wakes == w.blocks + 1)
            totals.switches += Int(w.switches)
            totals.yields += Int(w.waits)
            totals.blocks += Int(w.blocks)
            totals.timeouts += Int(w.timeouts)
            totals.preempts += Int(w.preemptions)
        }
        #expect(snap.servers.reduce(0) { $0 + Int($1.switches) } == totals.switches)
        #expect(totals.yields > 10_000)
        #expect(totals.blocks > 1_000)
        #expect(totals.timeouts > 500)
        print("stress: \(totals) memory/worker \(engine.memoryPerWorker)")
    }

    /// The backend directly, with a test scheduler: every successful CTX_SWITCH ends with the
    /// switched worker's own stop event (a worker claimed by two servers would break this or hang),
    /// and every worker's own count of blocking sections equals the BLOCKs and WAKEs the servers saw.
    @Test func backendNeverRunsAWorkerOnTwoServers() throws {
        let workers = 64
        let steps = 300
        let b = try EmulatedBackend(
            options: .init(handoff: .adaptive, sliceNanos: 50_000, maxWorkers: workers, maxServers: 2))
        let tids = AtomicWords(workers)
        let queued = AtomicWords(workers)  // 1 while in the run queue (no duplicates)
        let stale = Atomic<Int>(0)
        let sections = AtomicWords(workers)
        let timed = AtomicWords(workers)
        let runQueue = ThreadLock<[Int]>([])
        let exited = Atomic<Int>(0)
        let violations = Atomic<Int>(0)
        let seenBlocks = ThreadLock<[Int]>(Array(repeating: 0, count: workers))
        let seenWakes = ThreadLock<[Int]>(Array(repeating: 0, count: workers))
        let workerErrors = Atomic<Int>(0)

        let servers = try (0..<2).map { s in
            try OSThread(name: "test-thread") {
                let events = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)
                defer { events.deallocate() }
                func enqueue(_ w: Int) {
                    if queued.exchange(w, expected: 0, desired: 1) { runQueue.withLock { $0.append(w) } }
                }
                func handle(_ n: Int) {
                    for i in 0..<n {
                        if events[i] == 0 { break }
                        let ev = UMCGEvent(rawValue: events[i])
                        let w = Int(ev.workerID >> 5) - 1
                        switch ev.type {
                        case .wake:
                            seenWakes.withLock { $0[w] += 1 }
                            enqueue(w)
                        case .block: seenBlocks.withLock { $0[w] += 1 }
                        case .wait: if timed[w] == 0 { enqueue(w) }
                        case .timeout, .preempt: enqueue(w)
                        case .exit: exited.add(1, ordering: .relaxed)
                        default: break
                        }
                    }
                }
                do throws(Errno) {
                    try b.ctl(.registerServer)
                    while exited.load(ordering: .relaxed) < workers {
                        if let w = runQueue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                            queued[w] = 0
                            do throws(Errno) {
                                try b.ctl(
                                    .ctxSwitch, nextTid: Int32(truncatingIfNeeded: tids[w]), events: events,
                                    eventCount: 8)
                            } catch let error where error == .EINVAL {
                                // A stale entry (a timed WAIT handled after its TIMEOUT): the backend
                                // refuses a worker that is not RUNNABLE/WAITING.
                                stale.add(1, ordering: .relaxed)
                                continue
                            }
                            // No handoffs here: the stop event must be the switched worker's own.
                            // If two servers had claimed it, one would get another's event or hang.
                            if UMCGEvent(rawValue: events[0]).workerID != UInt64(w + 1) << 5 {
                                violations.add(1, ordering: .relaxed)
                            }
                            handle(8)
                        } else {
                            do throws(Errno) {
                                try b.ctl(
                                    .wait, absTimeout: SystemClock.realtimeNanos() + 20_000_000, events: events,
                                    eventCount: 8
                                )
                                handle(8)
                            } catch {}
                        }
                    }
                    try b.ctl(.unregister)
                } catch {
                    violations.add(1000, ordering: .relaxed)
                }
            }
        }
        let threads = try (0..<workers).map { w in
            try OSThread(name: "test-thread", stackSize: 128 << 10) {
                var rng = SplitMix64(seed: UInt64(w) + 7)
                let tid = ThreadID.current()
                tids[w] = UInt64(UInt32(bitPattern: tid))
                do throws(Errno) {
                    try b.ctl(.registerWorker, absTimeout: UInt64(w + 1) << 5)
                    for _ in 0..<steps {
                        let roll = rng.percent()
                        if roll < 70 {
                            try b.ctl(.wait)
                        } else if roll < 85 {
                            sections[w] += 1
                            try b.sleep(nanos: rng.next(in: 1_000...50_000))
                        } else if roll < 93 {
                            timed[w] = 1
                            do throws(Errno) {
                                try b.ctl(
                                    .wait, absTimeout: SystemClock.realtimeNanos() + rng.next(in: 10_000...300_000))
                            } catch let error where error == .ETIMEDOUT {}
                            timed[w] = 0
                        } else {
                            let end = SystemClock.monotonicNanos() + 100_000
                            while SystemClock.monotonicNanos() < end { try b.checkpoint() }
                        }
                    }
                    try b.ctl(.unregister)
                } catch {
                    workerErrors.add(1, ordering: .relaxed)
                }
            }
        }
        let done = waitUntil(seconds: 60) {
            exited.load(ordering: .relaxed) == workers || workerErrors.load(ordering: .relaxed) > 0
        }
        // A requirement, not an expectation: joining threads that never exited would hang.
        try #require(done, "stuck: \(workers - exited.load(ordering: .relaxed)) workers never exited")
        for t in threads { t.join() }
        for t in servers { t.join() }
        #expect(workerErrors.load(ordering: .relaxed) == 0)
        #expect(violations.load(ordering: .relaxed) == 0)
        let blocks = seenBlocks.withLock { $0 }
        let wakes = seenWakes.withLock { $0 }
        for w in 0..<workers {
            #expect(UInt64(blocks[w]) == sections[w])
            #expect(wakes[w] == blocks[w] + 1)
        }
        #expect(b.registeredCounts == (0, 0))
    }
}

/// A fixed array of atomic words for tests (`Atomic` cannot live in a Swift array).
final class AtomicWords: @unchecked Sendable {
    // SAFETY: every access goes through Atomic operations on raw memory freed in deinit.
    let slab: CounterSlab
    init(_ n: Int) { slab = CounterSlab.allocate(rows: n, fieldsPerRow: 1) }
    deinit { slab.deallocate() }
    subscript(i: Int) -> UInt64 {
        // SequentiallyConsistent: test bookkeeping, simplest ordering.
        get { slab.field(i, 0).pointee.load(ordering: .sequentiallyConsistent) }
        set { slab.field(i, 0).pointee.store(newValue, ordering: .sequentiallyConsistent) }
    }
    func exchange(_ i: Int, expected: UInt64, desired: UInt64) -> Bool {
        slab.field(i, 0).pointee.compareExchange(
            expected: expected, desired: desired, ordering: .sequentiallyConsistent
        ).exchanged
    }
}
