import Benchmark
import BenchmarkSupport
import UMCGTop
import UMCGTrace

/// Rendering one dashboard frame into the character grid (`DashboardView.render`), as the UI loop does
/// each refresh, from a model with 4 servers, 32 workers and 10 s of history.
let benchmarks: @Sendable () -> Void = {
    let frame = FrameInput()

    Benchmark(
        "DashboardView.render 120x40 (4 servers, 32 workers)",
        configuration: umcgConfiguration(scaling: .one, setup: { frame.prepare(detail: false) })
    ) { _ in
        guard let model = frame.model else { return }
        blackHole(DashboardView.render(model, width: 120, height: 40))
    }

    Benchmark(
        "DashboardView.render 120x40, worker detail open",
        configuration: umcgConfiguration(scaling: .one, setup: { frame.prepare(detail: true) })
    ) { _ in
        guard let model = frame.model else { return }
        blackHole(DashboardView.render(model, width: 120, height: 40))
    }
}

/// A dashboard model filled by folding a synthetic run, ticked every 250 ms of trace time.
final class FrameInput {
    var model: DashboardModel?

    /// Folds 10 s of events (1.25M) and keeps the resulting model; `detail` opens the first worker's detail view.
    func prepare(detail: Bool) {
        let servers = 4
        let workers = 32
        let info = SyntheticTrace.info(servers: servers, workers: workers)
        let aggregator = Aggregator(info: info, mode: .live, options: DashboardOptions(refreshMillis: 250))
        for e in SyntheticTrace.registrations(workers: workers, start: 999_000_000) { aggregator.ingest(e) }
        let events = SyntheticTrace.events(
            count: 1_250_000, seed: 11, servers: servers, workers: workers, meanGapNanos: 8_000)
        var nextTick = events.first?.timestamp ?? 0
        for e in events {
            aggregator.ingest(e)
            if e.timestamp >= nextTick {
                aggregator.tick(now: e.timestamp)
                nextTick = e.timestamp + 250_000_000
            }
        }
        aggregator.tick(now: aggregator.latestTraceTime)
        if detail { _ = aggregator.apply(.openDetail) }
        _ = aggregator.apply(.resize(width: 120, height: 40))
        model = aggregator.model
    }
}
