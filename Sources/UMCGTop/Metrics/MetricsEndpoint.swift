import NIOConcurrencyHelpers
import UMCGSystem

/// The bridge between the UI loop and the HTTP server: the loop publishes a snapshot each tick,
/// which becomes the exposition bytes; the server's thread only reads the latest bytes, under a
/// lock, and never touches the engine or the fold.
public final class MetricsEndpoint: MetricsSink, Sendable {
    /// Workers exposed one by one (the rest are `worker="other"`).
    public let topWorkerCount: Int
    // SAFETY: only the UI loop calls `publish`, which alone touches the exposition's own state.
    private nonisolated(unsafe) let exposition = PrometheusExposition()
    private let latest = NIOLockedValueBox<[UInt8]>([])

    /// Creates an endpoint exposing `topWorkers` workers individually.
    public init(topWorkers: Int) { topWorkerCount = max(0, topWorkers) }

    /// Renders `snapshot` and makes it what the next scrape returns (UI thread).
    public func publish(_ snapshot: MetricsSnapshot) {
        exposition.update(snapshot)
        let bytes = exposition.render()
        latest.withLockedValue { $0 = bytes }
    }

    /// The latest exposition (any thread).
    public var body: [UInt8] { latest.withLockedValue { $0 } }
}
