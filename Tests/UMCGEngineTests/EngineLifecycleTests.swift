import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct EngineLifecycleTests {
    static func config(_ workload: BuiltinWorkload, workers: Int = 8, servers: Int = 2) -> EngineConfiguration {
        EngineConfiguration(
            servers: servers, workers: workers, workload: workload, backend: .emulated, workerStackBytes: 128 << 10)
    }

    @Test func startTwiceFailsAndStopIsIdempotent() throws {
        let engine = try Engine(Self.config(.pingpong))
        try engine.start()
        #expect(throws: EngineError.self) { try engine.start() }
        #expect(waitUntil(seconds: 10) { engine.snapshot().workers.allSatisfy { $0.switches > 0 } })
        #expect(engine.stop(timeout: 60))
        #expect(engine.stop())
        #expect(engine.exitedWorkerCount == 8)
        let snap = engine.snapshot()
        #expect(snap.servers.allSatisfy { $0.state == .stopped && $0.currentWorker == TraceEvent.noWorker })
        #expect(snap.servers.reduce(0) { $0 + $1.switches } == snap.workers.reduce(0) { $0 + $1.switches })
    }

    @Test func hostInfoReadsUname() {
        let h = HostInfo.current()
        #expect(!h.sysname.isEmpty)
        #expect(h.kernel.hasPrefix(h.sysname))
        #expect(h.cpus >= 1)
        print("host: \(h.kernel) \(h.hostname) cpus=\(h.cpus)")
    }

    @Test func stopWithoutStartIsANoOp() throws {
        let engine = try Engine(Self.config(.mixed))
        engine.stop()
        #expect(engine.snapshot().workers.allSatisfy { $0.state == .unregistered })
    }

    @Test func entitiesAreNamedAndCarryTids() throws {
        let engine = try Engine(Self.config(.io, workers: 3, servers: 2))
        #expect(engine.entities.allSatisfy { $0.tid == 0 })
        try engine.start()
        #expect(engine.entities.allSatisfy { $0.tid != 0 })  // start() returns once tids are known
        let names = engine.entities.map(\.name)
        engine.stop()
        #expect(names == ["srv0", "srv1", "io-0", "io-1", "io-2"])
        let info = engine.runInfo()
        #expect(info.backend == "emulated")
        #expect(info.scenario == "io servers=2 workers=3")
        #expect(info.entities.count == 5)
    }

    @Test(arguments: [BuiltinWorkload.io, .cpu, .pingpong])
    func workloadsRunAndStop(_ workload: BuiltinWorkload) throws {
        var c = Self.config(workload, workers: 4)
        c.sliceNanos = 2_000_000  // the cpu workload gets preempted quickly
        let engine = try Engine(c)
        try engine.start()
        let ok = waitUntil(seconds: 10) {
            let s = engine.snapshot()
            switch workload {
            case .io: return s.workers.allSatisfy { $0.blocks > 2 && $0.wakes > 2 }
            case .cpu: return s.workers.contains { $0.preemptions > 0 }
            default: return s.workers.allSatisfy { $0.waits > 10 }
            }
        }
        engine.stop()
        #expect(ok)
        #expect(engine.failedWorkers == 0)
        let s = engine.snapshot()
        #expect(s.workers.allSatisfy { $0.state == .exited })
        if workload == .io {
            #expect(s.workers.allSatisfy { $0.blockedNanos > 0 })
        }
        #expect(s.workers.allSatisfy { $0.runNanos > 0 })
    }

    @Test func snapshotCountsRunTimeAndServerBusyTime() throws {
        let engine = try Engine(Self.config(.mixed, workers: 4))
        try engine.start()
        // 50 ms of busy time per server: a server descheduled for a millisecond or two between a
        // worker's stop and its own stamp (a loaded CI machine) stays within the 5% below.
        #expect(waitUntil(seconds: 10) { engine.snapshot().servers.allSatisfy { $0.busyNanos > 50_000_000 } })
        engine.stop()
        let s = engine.snapshot()
        let busy = s.servers.reduce(UInt64(0)) { $0 + $1.busyNanos }
        let run = s.workers.reduce(UInt64(0)) { $0 + $1.runNanos }
        // Run intervals partition the servers' busy time (handoffs split one CTX_SWITCH between workers).
        #expect(run <= busy + busy / 100)
        #expect(run >= busy - busy / 20)
        #expect(s.servers.allSatisfy { $0.events > 0 })
    }

    /// 10,000 workers (UMCG_MANY=1; ~2,000 otherwise to keep the suite quick): all register, run and exit.
    @Test func manyWorkers() throws {
        let n = getenv("UMCG_MANY") != nil ? 10_000 : 2_000
        var c = Self.config(.pingpong, workers: n)
        c.workerStackBytes = 64 << 10
        let engine = try Engine(c)
        let start = SystemClock.monotonicNanos()
        try engine.start()
        let ok = waitUntil(seconds: 120) { engine.snapshot().workers.allSatisfy { $0.switches >= 2 } }
        let ran = SystemClock.monotonicNanos() - start
        engine.stop()
        #expect(ok)
        #expect(engine.exitedWorkerCount == n)
        let m = engine.memoryPerWorker
        #expect(m.heapBytesPerWorker < 2_048)
        print("\(n) workers: every worker switched twice after \(ran / 1_000_000) ms; memory/worker \(m)")
    }
}
