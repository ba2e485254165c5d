import UMCGTrace

/// Why an export failed: a one-line reason for `umcgtop: error: …`.
public enum ExportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output could not be written (the sink's one-line reason).
    case write(String)
    /// `add` or `finish` was called after `finish`.
    case alreadyFinished

    /// The one-line reason.
    public var description: String {
        switch self {
        case .write(let reason): reason
        case .alreadyFinished: "the exporter was already finished"
        }
    }
}

/// Where an exporter streams its output: takes byte chunks in order.
public protocol ExportByteSink {
    /// Appends `bytes` to the output.
    mutating func write(_ bytes: [UInt8]) throws(ExportError)
}

/// A sink that keeps everything in memory (tests, small exports).
public struct MemoryByteSink: ExportByteSink, Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []
    /// How many `write` calls arrived (the exporters batch their output).
    public private(set) var writes = 0

    /// Creates an empty sink.
    public init() {}

    /// Appends `bytes`.
    public mutating func write(_ bytes: [UInt8]) throws(ExportError) {
        self.bytes.append(contentsOf: bytes)
        writes += 1
    }
}

/// What an exporter wrote, for tests and the command's summary line.
public struct ExportStats: Sendable, Equatable {
    /// Trace events passed to `add(_:)`.
    public var events: UInt64 = 0
    /// Keyframes passed to `add(_:)`.
    public var snapshots: UInt64 = 0
    /// Gaps (drop markers or gap records) seen.
    public var gaps: UInt64 = 0
    /// Lane context switches (Perfetto `sched_switch`; in Chrome they end and start run slices).
    public var switches: UInt64 = 0
    /// Wake-ups (Perfetto `sched_waking`; Chrome shows them as instants).
    public var wakings: UInt64 = 0
    /// Counter values written.
    public var counterSamples: UInt64 = 0
    /// Instant events written.
    public var instants: UInt64 = 0
    /// Events skipped because they named no usable server or worker.
    public var ignoredEvents: UInt64 = 0
    /// Event timestamps moved forward to keep a server lane monotonic.
    public var clampedTimestamps: UInt64 = 0
    /// Bytes handed to the sink.
    public var bytes: UInt64 = 0

    /// Creates zeroed stats.
    public init() {}
}

/// The push API both exporters share: feed records in file order, then `finish()`.
public protocol TraceExporter {
    /// Adds one trace event.
    mutating func add(_ event: TraceEvent) throws(ExportError)
    /// Adds one keyframe.
    mutating func add(_ snapshot: Snapshot) throws(ExportError)
    /// Adds a gap: `count` events were lost at `timestamp`.
    mutating func addGap(timestamp: UInt64, count: UInt64) throws(ExportError)
    /// Closes open slices, writes the trailer and flushes the sink. Call once.
    mutating func finish() throws(ExportError)
    /// What was written so far.
    var stats: ExportStats { get }
}
