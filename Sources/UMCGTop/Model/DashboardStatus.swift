import UMCGSystem

/// Replay position facts the app copies from its `ReplayClock` for the status line.
public struct ReplayStatus: Equatable, Sendable {
    /// ns since the start of the trace.
    public var positionNanos: UInt64
    /// Length of the trace in ns.
    public var durationNanos: UInt64
    /// Playback speed (1 = real time).
    public var speed: Double
    /// Whether the clock is running.
    public var playing: Bool

    /// Creates replay facts.
    public init(positionNanos: UInt64, durationNanos: UInt64, speed: Double, playing: Bool) {
        self.positionNanos = positionNanos
        self.durationNanos = durationNanos
        self.speed = speed
        self.playing = playing
    }
}

/// What the status line shows. The aggregator fills the rates and drops; the app fills
/// recording, replay position, warning and UI CPU.
public struct DashboardStatus: Equatable, Sendable {
    /// "emulated" or "kernel".
    public var backend: String
    /// Why that backend was chosen.
    public var backendReason: String
    /// Scenario description.
    public var scenario: String
    /// Events folded per second over the last window.
    public var eventsPerSecond: Double = 0
    /// Events ingested so far.
    public var eventsTotal: UInt64 = 0
    /// Events lost so far (max of snapshot count and dropped markers).
    public var droppedTotal: UInt64 = 0
    /// Events lost over the last window.
    public var droppedRecent: UInt64 = 0
    /// The file being recorded, nil if not recording.
    public var recordingPath: String?
    /// Bytes written to the recording so far.
    public var recordingBytes: UInt64 = 0
    /// Replay position, nil in live mode.
    public var replay: ReplayStatus?
    /// A warning for the status line (e.g. "file truncated after 12.3 s").
    public var warning: String?
    /// UI thread CPU share in percent, nil until measured (shown in help).
    public var uiCPUPercent: Double?
    /// Trace time of the latest tick.
    public var nowNanos: UInt64 = 0
    /// Attached: how the watched process ended ("exited", "exited (exit status 7)"), nil while it runs.
    /// The view keeps its last state and shows this beside the mode.
    public var targetEnded: String?

    /// Creates a status.
    public init(backend: String, backendReason: String, scenario: String) {
        self.backend = backend
        self.backendReason = backendReason
        self.scenario = scenario
    }
}
