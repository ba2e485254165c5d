import UMCGTrace

@testable import UMCGTop

/// A fake clock the tests advance by hand (ns).
final class FakeClock: @unchecked Sendable {
    // SAFETY: used from the test's thread only.
    var now: UInt64 = 1_000_000_000
}

/// A screen that replays scripted keys and records frames; waiting advances the fake clock.
final class FakeScreen: DashboardScreen {
    var size: (width: Int, height: Int)
    /// Keys delivered one per readKey call after `afterReads` empty reads each.
    var script: [(afterReads: Int, key: Key)]
    var frames: [ScreenBuffer] = []
    var fullDraws = 0
    var reads = 0
    var restored = 0
    let clock: FakeClock
    var onRead: ((FakeScreen) -> Void)?
    private var emptyReads = 0

    init(width: Int = 100, height: Int = 30, clock: FakeClock, script: [(Int, Key)]) {
        size = (width, height)
        self.clock = clock
        self.script = script.map { (afterReads: $0.0, key: $0.1) }
    }

    func readKey(timeoutMillis: Int) -> Key? {
        reads += 1
        onRead?(self)
        if let next = script.first, emptyReads >= next.afterReads {
            script.removeFirst()
            emptyReads = 0
            return next.key
        }
        emptyReads += 1
        clock.now += UInt64(max(1, timeoutMillis)) * 1_000_000
        if reads > 100_000 { return .char("q") }  // a runaway test ends instead of hanging
        return nil
    }

    func draw(_ frame: ScreenBuffer, full: Bool) {
        frames.append(frame)
        if full { fullDraws += 1 }
    }

    func restore() { restored += 1 }
}

/// A source that hands out `perPump` synthetic events per pump and records replay commands.
final class FakeSource: EventSource {
    let info = RunInfo(
        backend: "emulated", backendReason: "test", kernel: "Linux test", hostname: "h", cpus: 2,
        scenario: "fake", wallClockAnchorNs: 0, monotonicAnchorNs: 0,
        entities: [Entity(kind: .server, id: 0, name: "srv0"), Entity(kind: .worker, id: 0, name: "w0")])
    var waiting: Int
    var pumps: [Int] = []
    var commands: [ReplayCommand] = []
    var stopped = 0
    var note: String?
    var summaryFields: [(String, JSONValue)] { [("fake", .bool(true))] }
    var counters = WorkerCounters(id: 0, state: .running, server: 0)

    init(waiting: Int) { self.waiting = waiting }

    func pump(into aggregator: inout Aggregator, budget: Int, now: UInt64) -> Int {
        let n = min(waiting, budget)
        for i in 0..<n {
            aggregator.ingest(TraceEvent(timestamp: now + UInt64(i), kind: .switchTo, server: 0, worker: 0))
        }
        waiting -= n
        counters.switches += UInt64(n)
        pumps.append(n)
        return n
    }

    func perform(_ command: ReplayCommand, aggregator: inout Aggregator, now: UInt64) -> Bool {
        commands.append(command)
        return true
    }

    func stop() { stopped += 1 }

    func snapshot() -> Snapshot? {
        Snapshot(
            timestamp: 0, servers: [ServerCounters(id: 0, state: .running, currentWorker: 0)], workers: [counters],
            baselines: [
                BaselineCounters(method: .futex, cycles: 500, activeNanos: 1_000_000_000, placement: "same-cpu")
            ])
    }
}
