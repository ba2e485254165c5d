import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Servers spread runnable workers over their run queues (ServerScheduler.runQueue).
@Suite struct BalanceTests {
    static func engine(workers: Int = 8, servers: Int = 2) throws -> Engine {
        try Engine(
            EngineConfiguration(
                servers: servers, workers: workers, workload: .pingpong, backend: .emulated,
                workerStackBytes: 128 << 10))
    }

    /// Calls `runQueue()` one balance interval's worth of times; returns the last choice.
    static func choice(_ scheduler: inout ServerScheduler) -> Int {
        var q = scheduler.index
        for _ in 0..<Int(ServerScheduler.balanceInterval) { q = scheduler.runQueue() }
        return q
    }

    @Test func aLongQueueSendsEveryIntervalthWorkerToTheShortest() throws {
        let engine = try Self.engine(servers: 3)  // never started: the queues are only data here
        for w in 0..<6 { engine.runQueues[0].enqueueWaiting(UInt64(w)) }
        for w in 6..<8 { engine.runQueues[1].enqueueWaiting(UInt64(w)) }
        var s0 = ServerScheduler(engine: engine, index: 0)
        // Between checks the own queue is used.
        for _ in 1..<Int(ServerScheduler.balanceInterval) { #expect(s0.runQueue() == 0) }
        #expect(s0.runQueue() == 2)  // 6 queued here, 0 on server 2: the shortest
        // Server 1 (2 queued) against server 2 (0): 2 > 0 + 1, it moves one too.
        var s1 = ServerScheduler(engine: engine, index: 1)
        #expect(Self.choice(&s1) == 2)
        // Server 2 (shortest) keeps its own.
        var s2 = ServerScheduler(engine: engine, index: 2)
        #expect(Self.choice(&s2) == 2)
    }

    @Test func aMovedWorkerLandsInTheOtherQueueAndIsCounted() throws {
        let engine = try Self.engine(workers: 80)  // never started
        for w in 0..<10 { engine.runQueues[0].enqueueWaiting(UInt64(w)) }
        var s0 = ServerScheduler(engine: engine, index: 0)
        // Workers 10..<73 stay with server 0; the 64th made runnable (worker 73) moves.
        for w in 10..<74 { s0.enqueue(w) }
        #expect(engine.runQueues[0].approximateCount == 73)
        #expect(engine.runQueues[1].approximateCount == 1)
        #expect(engine.runQueues[1].peek() == 73)
        #expect(engine.serverRows.get(0, ServerField.migrations) == 1)
        #expect(engine.migrations == 1)
        // Already queued: not queued twice, not counted.
        s0.enqueue(73)
        #expect(engine.runQueues[0].approximateCount + engine.runQueues[1].approximateCount == 74)
    }

    @Test func queuesWithinOneOrASixteenthStayPut() throws {
        let engine = try Self.engine(workers: 400)
        for w in 0..<3 { engine.runQueues[0].enqueueWaiting(UInt64(w)) }
        for w in 3..<5 { engine.runQueues[1].enqueueWaiting(UInt64(w)) }
        var s0 = ServerScheduler(engine: engine, index: 0)
        #expect(Self.choice(&s0) == 0)  // 3 vs 2: within one
        // 200 vs 190: within 1 + 200/16.
        for w in 5..<202 { engine.runQueues[0].enqueueWaiting(UInt64(w)) }
        for w in 202..<390 { engine.runQueues[1].enqueueWaiting(UInt64(w)) }
        #expect(engine.runQueues[0].approximateCount == 200)
        #expect(engine.runQueues[1].approximateCount == 190)
        #expect(Self.choice(&s0) == 0)
        var one = ServerScheduler(engine: try Self.engine(servers: 1), index: 0)
        #expect(Self.choice(&one) == 0)
    }

    @Test func pingpongWorkersEndUpEvenlySpreadAndServedFairly() throws {
        // Registration puts workers on whichever server is idle first, often 5 + 3 or 7 + 1 on two
        // servers; the balance must even that out, and then the workers of one server get similar
        // shares. (Across servers shares follow what each CPU has to spare: under TSan, with other
        // tests running, one server went 2.4× faster than the other.)
        let engine = try Self.engine()
        try engine.start()
        defer { engine.stop() }
        func perServer() -> [Int] {
            var n = [0, 0]
            for w in 0..<8 {
                let s = Int(engine.workerRows.get(w, WorkerField.server))
                if s < 2 { n[s] += 1 }
            }
            return n
        }
        #expect(waitUntil(seconds: 20) { perServer() == [4, 4] }, "workers per server: \(perServer())")
        func servers() -> [Int] { (0..<8).map { Int(engine.workerRows.get($0, WorkerField.server)) } }
        // Fairness is measured over a window in which no worker changed servers: a worker moved from a
        // server that got a whole CPU to one that got little (TSan beside other suites) mixes two
        // servers' rates in one count. A balance that never settles fails after five windows.
        var windows: [String] = []
        for _ in 0..<5 {
            let where0 = servers()
            let moved0 = engine.migrations
            let before = engine.snapshot().workers.map(\.switches)
            #expect(waitUntil(seconds: 20) { engine.snapshot().workers.map(\.switches).min()! > before.max()! + 2_000 })
            let after = engine.snapshot().workers.map(\.switches)
            let gained = zip(after, before).map { $0 - $1 }
            guard servers() == where0, engine.migrations == moved0 else {
                windows.append("\(engine.migrations - moved0) moves, gained \(gained)")
                continue
            }
            for s in 0..<2 {
                let mine = (0..<8).filter { where0[$0] == s }.map { gained[$0] }
                #expect(mine.count == 4)
                // Round robin within a server: fair within 2×.
                #expect(mine.max()! <= 2 * mine.min()!, "server \(s): switches gained per worker: \(mine) of \(gained)")
            }
            return
        }
        Issue.record("workers changed servers in every window: \(windows)")
    }

    @Test(arguments: [8, 128])
    func workersRecordWhereTheyParkOnlyWhenServersPrefetch(_ workers: Int) throws {
        let engine = try Self.engine(workers: workers)
        #expect(engine.prefetchesNextWorkers == (workers >= 2 * ServerScheduler.prefetchFromWorkersPerServer))
        try engine.start()
        defer { engine.stop() }
        #expect(waitUntil(seconds: 20) { engine.snapshot().workers.allSatisfy { $0.switches > 2 } })
        for w in 0..<workers {
            let sp = engine.workerRows.get(w, WorkerField.parkSP)
            let top = engine.workerRows.get(w, WorkerField.stackTop)
            if engine.prefetchesNextWorkers {
                // Below its recorded top, within the window a server prefetches.
                #expect(sp != 0 && sp < top && top - sp <= UInt64(ServerScheduler.prefetchStackBytes))
            } else {
                #expect(sp == 0)
            }
        }
    }
}
