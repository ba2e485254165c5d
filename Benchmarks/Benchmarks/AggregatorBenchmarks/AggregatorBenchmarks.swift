import Benchmark
import BenchmarkSupport
import UMCGTop
import UMCGTrace

/// The dashboard's fold: `Aggregator.ingest` of a recorded event stream (4 servers, 32 workers).
let benchmarks: @Sendable () -> Void = {
    let fold = FoldInput()

    // Ingest only: the per-event work of the UI loop's drain. Must show 0 mallocs per event.
    Benchmark(
        "Aggregator ingest (1M events, 4 servers, 32 workers)",
        configuration: umcgConfiguration(scaling: .mega, setup: { fold.prepare() }, teardown: { fold.cleanUp() })
    ) { benchmark in
        guard let aggregator = fold.aggregator else { return }
        let shift = fold.nextShift()
        for i in benchmark.scaledIterations {
            var e = fold.events[i]
            e.timestamp &+= shift
            aggregator.ingest(e)
        }
        blackHole(aggregator.latestTraceTime)
    }

    // Ingest with a tick every 250 ms of trace time (the fastest refresh): the live loop's steady state,
    // including publishing the tables into the model.
    Benchmark(
        "Aggregator ingest + tick each 250 ms (1M events)",
        configuration: umcgConfiguration(scaling: .mega, setup: { fold.prepare() }, teardown: { fold.cleanUp() })
    ) { benchmark in
        guard let aggregator = fold.aggregator else { return }
        let shift = fold.nextShift()
        var nextTick = (fold.events.first?.timestamp ?? 0) &+ shift
        for i in benchmark.scaledIterations {
            var e = fold.events[i]
            e.timestamp &+= shift
            aggregator.ingest(e)
            if e.timestamp >= nextTick {
                aggregator.tick(now: e.timestamp)
                nextTick = e.timestamp &+ 250_000_000
            }
        }
        blackHole(aggregator.model.status.eventsTotal)
    }
}

/// An aggregator with its workers registered, and a steady-state stream to feed it again and again
/// (each run shifted later in time, so the fold always sees time moving forward).
final class FoldInput {
    var aggregator: Aggregator?
    var events: [TraceEvent] = []
    private var shift: UInt64 = 0

    /// Makes the aggregator and the events (once per benchmark).
    func prepare() {
        let servers = 4
        let workers = 32
        let info = SyntheticTrace.info(servers: servers, workers: workers)
        let aggregator = Aggregator(
            info: info, mode: .replay(name: "bench"), options: DashboardOptions(refreshMillis: 250))
        for e in SyntheticTrace.registrations(workers: workers, start: 999_000_000) { aggregator.ingest(e) }
        aggregator.ingest(snapshot: SyntheticTrace.snapshot(at: 999_500_000, servers: servers, workers: workers))
        aggregator.tick(now: 999_900_000)
        events = SyntheticTrace.events(count: 1_000_000, seed: 3, servers: servers, workers: workers)
        shift = 0
        self.aggregator = aggregator
    }

    /// How much later than the recorded times the next run's events are.
    func nextShift() -> UInt64 {
        defer {
            let span = (events.last?.timestamp ?? 0) &- (events.first?.timestamp ?? 0)
            shift &+= span &+ 1_000
        }
        return shift
    }

    /// Drops the aggregator and the events.
    func cleanUp() {
        aggregator = nil
        events = []
    }
}
