import NIOConcurrencyHelpers
import NIOCore
import UMCGSystem

/// The bridge between the UI loop and the HTTP server: the loop publishes a snapshot once per
/// refresh, which becomes the exposition, encoded once into an immutable `ByteBuffer`; a scrape
/// only takes a reference to the latest buffer under a lock (no copy, no rendering, nothing that
/// grows with the number of workers) and never touches the engine or the fold.
public final class MetricsEndpoint: MetricsSink, Sendable {
    /// Workers exposed one by one (the rest are `worker="other"`).
    public let topWorkerCount: Int
    // SAFETY: only the UI loop calls `publish`, which alone touches the exposition's own state.
    private nonisolated(unsafe) let exposition = PrometheusExposition()
    private let latest = NIOLockedValueBox<ByteBuffer>(ByteBuffer())

    /// Creates an endpoint exposing `topWorkers` workers individually.
    public init(topWorkers: Int) { topWorkerCount = max(0, topWorkers) }

    /// Renders `snapshot` and makes it what the next scrape returns (UI thread).
    public func publish(_ snapshot: MetricsSnapshot) {
        exposition.update(snapshot)
        let buffer = ByteBuffer(bytes: exposition.render())
        latest.withLockedValue { $0 = buffer }
    }

    /// The latest exposition, shared (any thread; writing it to a channel copies nothing).
    public var buffer: ByteBuffer { latest.withLockedValue { $0 } }

    /// The latest exposition's bytes (any thread).
    public var body: [UInt8] { Array(buffer.readableBytesView) }
}
