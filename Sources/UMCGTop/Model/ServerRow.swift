import UMCGSystem
import UMCGTrace

/// Everything the Servers panel shows about one server.
public struct ServerRow: Equatable, Sendable {
    /// Dense server id.
    public var id: UInt16
    /// Name from the entity table.
    public var name: String
    /// Idle or running a worker.
    public var state: ServerState
    /// The worker it runs, `TraceEvent.noWorker` if none.
    public var currentWorker: UInt32
    /// The worker it ran last, `TraceEvent.noWorker` if none yet: shown dimmed while a running
    /// server is between two workers (a fast ping-pong spends much of its time there).
    public var lastWorker: UInt32 = TraceEvent.noWorker
    /// Switches done by this server so far.
    public var switches: UInt64 = 0
    /// Switches per second over the last window.
    public var switchesPerSecond: Double = 0
    /// Share of the last window spent running workers (0…1).
    public var utilisation: Double = 0
    /// Workers queued on it (from the latest snapshot).
    public var runQueueDepth: UInt32 = 0
    /// Switches per second, one sample per refresh.
    public var history: History

    /// Creates a row for a server not seen yet.
    public init(id: UInt16, name: String, historyCapacity: Int) {
        self.id = id
        self.name = name
        state = .stopped
        currentWorker = TraceEvent.noWorker
        history = History(capacity: historyCapacity)
    }
}
