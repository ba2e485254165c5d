import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// The live engine when workers fail: a workload that throws, a worker thread that ends without
/// UNREGISTER. Their servers see EXIT and carry on running the other workers.
@Suite struct FaultWorkerTests {
    /// Six workers of `workload` (spawned before start, so ids are 0…5), the `faulty` ones failing after 50 steps.
    static func engine(_ kind: FaultyWorkload.Kind, faulty: Set<Int>, workload: BuiltinWorkload = .pingpong) throws
        -> Engine
    {
        let c = EngineConfiguration(
            servers: 2, workers: 0, workload: workload, reservedWorkers: 6, sliceNanos: 10_000_000,
            backend: .emulated, hub: TraceHub(ringCapacity: 1 << 16), workerStackBytes: 128 << 10)
        let engine = try Engine(c)
        for w in 0..<6 {
            let name = "\(workload.rawValue)-\(w)"
            let id =
                faulty.contains(w)
                ? try engine.spawn(name: name, FaultyWorkload(base: workload, steps: 50, kind: kind))
                : try engine.spawn(name: name, workload)
            #expect(id == w)
        }
        return engine
    }

    /// Checks the faulty workers exited, the others keep switching, and stop joins everything.
    func expectServersCarryOn(_ engine: Engine, faulty: Set<Int>, failures: Int) {
        #expect(waitUntil(seconds: 30) { engine.exitedWorkerCount == faulty.count })
        let before = engine.snapshot()
        for w in faulty { #expect(before.workers[w].state == .exited) }
        let healthy = (0..<6).filter { !faulty.contains($0) }
        // The other workers keep running after the faulty ones are gone.
        #expect(
            waitUntil(seconds: 30) {
                let now = engine.snapshot()
                return healthy.allSatisfy { now.workers[$0].switches >= before.workers[$0].switches + 20 }
            })
        #expect(healthy.allSatisfy { engine.snapshot().workers[$0].state != .exited })
        #expect(engine.failedWorkers == failures)
        #expect(engine.stop(timeout: 60))
        #expect(engine.exitedWorkerCount == 6)
        let end = engine.snapshot()
        #expect(end.servers.allSatisfy { $0.state == .stopped })
        #expect(end.servers.reduce(0) { $0 + $1.switches } == end.workers.reduce(0) { $0 + $1.switches })
        // Faulty workers stopped switching at the fault: about `steps` switches, not more.
        for w in faulty { #expect(end.workers[w].switches <= 60) }
    }

    @Test func aWorkloadThatThrowsExitsAndTheServerCarriesOn() throws {
        let faulty: Set<Int> = [1, 4]
        let engine = try Self.engine(.workloadThrows, faulty: faulty)
        try engine.start()
        expectServersCarryOn(engine, faulty: faulty, failures: 2)
        // The EXIT events in the trace say why.
        var exits: [UInt32: UInt64] = [:]
        engine.configuration.hub?.drain { e in
            if e.kind == .exit { exits[e.worker] = e.arg }
        }
        for w in faulty { #expect(exits[UInt32(w)] == ExitReason.workloadFailed.rawValue) }
        // A healthy worker's EXIT (at stop) is in the ring unless the ring overflowed.
        if engine.configuration.hub?.dropped == 0 { #expect(exits[0] == ExitReason.unregistered.rawValue) }
    }

    @Test func aThreadEndingWithoutUnregisterExitsAndTheServerCarriesOn() throws {
        let faulty: Set<Int> = [0, 3]
        let engine = try Self.engine(.threadExits, faulty: faulty)
        try engine.start()
        expectServersCarryOn(engine, faulty: faulty, failures: 0)
        #expect((engine.backend as? EmulatedBackend)?.registeredCounts.workers == 0)
        var exits: [UInt32: UInt64] = [:]
        engine.configuration.hub?.drain { e in
            if e.kind == .exit { exits[e.worker] = e.arg }
        }
        for w in faulty { #expect(exits[UInt32(w)] == ExitReason.threadEnded.rawValue) }
        if engine.configuration.hub?.dropped == 0 { #expect(exits[1] == ExitReason.unregistered.rawValue) }
    }

    @Test func aMixedWorkloadThreadEndingWhileOthersBlockAndWait() throws {
        // The default scenario's workload: faulty threads end between sleeps, reads and handoffs.
        let faulty: Set<Int> = [2]
        let engine = try Self.engine(.threadExits, faulty: faulty, workload: .mixed)
        try engine.start()
        #expect(waitUntil(seconds: 30) { engine.exitedWorkerCount == 1 })
        let before = engine.snapshot().servers.reduce(0) { $0 + $1.switches }
        #expect(waitUntil(seconds: 30) { engine.snapshot().servers.reduce(0) { $0 + $1.switches } > before + 50 })
        #expect(engine.stop(timeout: 60))
        #expect(engine.exitedWorkerCount == 6)
        #expect(engine.failedWorkers == 0)
    }
}
