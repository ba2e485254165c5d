import Foundation
import Synchronization
import Testing
import UMCGEngine
import UMCGTrace

/// A program's own work on the engine, through the public API only (no `@testable`): its
/// workloads run on named workers, their events reach its trace hub and their counters its snapshots.
@Suite struct EmbeddingTests {
    /// Counts the rounds of a worker's loop (read by the test thread).
    final class Rounds: Sendable {
        let count = Atomic<Int>(0)
        // Relaxed: a statistic read by the test while polling.
        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    struct Failure: Error {}

    /// A workload of our own: a bit of work, a blocking section, a cooperative checkpoint, a yield.
    struct Counter: Workload {
        let rounds: Rounds

        func run(_ ctx: inout WorkerContext) throws {
            while !ctx.shouldStop {
                rounds.add()
                try ctx.compute(nanos: 20_000)
                try ctx.checkpoint()
                let x = try ctx.blocking(.read) { () throws -> Int in
                    usleep(200)
                    return 7
                }
                guard x == 7 else { throw Failure() }
                try ctx.yield()
            }
        }
    }

    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }

    static func config(hub: TraceHub, reserved: Int) -> EngineConfiguration {
        EngineConfiguration(
            servers: 2, workers: 0, reservedWorkers: reserved, sliceNanos: 5_000_000, backend: .emulated, hub: hub,
            workerStackBytes: 128 << 10)
    }

    /// The kernel's name of thread `tid` of this process.
    static func threadName(_ tid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func ownWorkloadsRunOnNamedWorkersAndShowInEventsAndCounters() throws {
        let hub = TraceHub(ringCapacity: 1 << 18)
        let engine = try Engine(Self.config(hub: hub, reserved: 4))
        let rounds = [Rounds(), Rounds()]
        let a = try engine.spawn(name: "counter-a", Counter(rounds: rounds[0]))
        let b = try engine.spawn(name: "counter-b", Counter(rounds: rounds[1]))
        let sleeper = try engine.spawn(name: "sleeper") { ctx in
            while !ctx.shouldStop {
                try ctx.sleep(nanos: 300_000)
                try ctx.timedWait(nanos: 300_000)
                // Hand the server to a counter now and then (falls back to a yield when it is busy).
                if ctx.rng.percent() < 50 { try ctx.handoff(to: 0) } else { try ctx.yield() }
            }
        }
        #expect(a == 0 && b == 1 && sleeper == 2)
        #expect(engine.spawnedWorkerCount == 3)
        try engine.start()
        #expect(Self.waitUntil(seconds: 30) { rounds.allSatisfy { $0.value >= 50 } })
        #expect(engine.stop(timeout: 60))
        #expect(engine.failedWorkers == 0)

        // Entities and thread names carry the names we chose.
        let workers = engine.entities.filter { $0.kind == .worker }
        #expect(workers.map(\.name) == ["counter-a", "counter-b", "sleeper"])
        #expect(engine.workerIndex(named: "sleeper") == 2)
        #expect(engine.workerName(1) == "counter-b")
        #expect(workers.allSatisfy { $0.tid != 0 })

        // Counters by name.
        let snap = engine.snapshot()
        #expect(snap.workers.count == 3)
        func counters(_ name: String) throws -> WorkerCounters {
            let id = try #require(engine.workerIndex(named: name))
            return snap.workers[id]
        }
        for name in ["counter-a", "counter-b"] {
            let c = try counters(name)
            #expect(c.switches >= 50 && c.blocks >= 50 && c.waits >= 50, "\(name): \(c)")
            #expect(c.state == .exited)
        }
        let s = try counters("sleeper")
        #expect(s.blocks >= 1 && s.timeouts >= 1, "\(s)")

        // Our events, by worker id.
        var kinds: [UInt32: Set<TraceEventKind>] = [:]
        var readBlocks = 0
        hub.drain { e in
            guard e.worker != TraceEvent.noWorker else { return }
            kinds[e.worker, default: []].insert(e.kind)
            if e.kind == .block, e.worker == UInt32(a), e.arg == BlockReason.read.rawValue { readBlocks += 1 }
        }
        #expect(hub.dropped == 0)
        for id in [a, b] {
            let seen = kinds[UInt32(id)] ?? []
            #expect(seen.isSuperset(of: [.register, .switchTo, .block, .wake, .wait, .exit]), "\(id): \(seen)")
        }
        #expect(readBlocks >= 50)
        #expect((kinds[UInt32(sleeper)] ?? []).isSuperset(of: [.block, .timeout]))
    }

    @Test func workersSpawnedWhileRunningJoinUpToTheReservedRoom() throws {
        let hub = TraceHub(ringCapacity: 1 << 18)
        let engine = try Engine(Self.config(hub: hub, reserved: 2))
        let first = Rounds()
        try engine.spawn(name: "early", Counter(rounds: first))
        try engine.start()
        #expect(Self.waitUntil(seconds: 30) { first.value >= 10 })
        let late = Rounds()
        let id = try engine.spawn(name: "late-worker-with-a-long-name", Counter(rounds: late))
        #expect(id == 1)
        // spawn returns once the thread published its tid: the entity is complete.
        let entity = try #require(engine.entities.first { $0.kind == .worker && $0.id == 1 })
        #expect(entity.name == "late-worker-with-a-long-name" && entity.tid != 0)
        // The kernel keeps the first 15 bytes of a thread's name.
        #expect(Self.threadName(entity.tid) == "late-worker-wit")
        #expect(Self.waitUntil(seconds: 30) { late.value >= 10 })
        #expect(engine.snapshot().workers.count == 2)
        #expect(engine.snapshot().workers[1].switches > 0)
        // No room left.
        #expect(throws: EngineError.self) { try engine.spawn(name: "one-too-many") { _ in } }
        #expect(engine.stop(timeout: 60))
        #expect(engine.exitedWorkerCount == 2)
        #expect(throws: EngineError.self) { try engine.spawn(name: "after-stop") { _ in } }
        var lateKinds: Set<TraceEventKind> = []
        hub.drain { e in if e.worker == 1 { lateKinds.insert(e.kind) } }
        #expect(lateKinds.isSuperset(of: [.register, .switchTo, .exit]))
    }

    @Test func aWorkloadThatThrowsEndsAsFailedAndTheOthersCarryOn() throws {
        let hub = TraceHub(ringCapacity: 1 << 16)
        let engine = try Engine(Self.config(hub: hub, reserved: 2))
        let rounds = Rounds()
        try engine.spawn(name: "steady", Counter(rounds: rounds))
        try engine.spawn(name: "fails") { ctx in
            for _ in 0..<10 { try ctx.yield() }
            throw Failure()
        }
        try engine.start()
        #expect(Self.waitUntil(seconds: 30) { engine.exitedWorkerCount == 1 })
        let before = rounds.value
        #expect(Self.waitUntil(seconds: 30) { rounds.value >= before + 20 })
        #expect(engine.failedWorkers == 1)
        #expect(engine.stop(timeout: 60))
        var exits: [UInt32: UInt64] = [:]
        hub.drain { e in if e.kind == .exit { exits[e.worker] = e.arg } }
        #expect(exits[1] == ExitReason.workloadFailed.rawValue)
        #expect(exits[0] == ExitReason.unregistered.rawValue)
    }
}
