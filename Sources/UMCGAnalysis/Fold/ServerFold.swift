import UMCGTrace

/// Everything the fold knows about one server: its state, current worker, lossless-style
/// switch and busy totals, and the raw event tally.
///
/// Totals are the latest snapshot's (`base…`) plus what events stamped after it add (`since…`).
public struct ServerFold: Sendable {
    /// Server id.
    public let id: UInt16
    /// Idle or running a worker (`.stopped` until seen).
    public internal(set) var state: ServerState = .stopped
    /// The worker it runs, `TraceEvent.noWorker` if none.
    public internal(set) var currentWorker: UInt32 = TraceEvent.noWorker
    /// The worker it ran last (still running or not), `TraceEvent.noWorker` if none yet.
    public internal(set) var lastWorker: UInt32 = TraceEvent.noWorker
    /// Workers queued on it (from the latest snapshot).
    public internal(set) var runQueueDepth: UInt32 = 0
    /// Every switch/idle/wake event of this server, counted as it came.
    public internal(set) var tally = ServerTally()
    /// Block, wake, wait and preempt events its workers had on it, counted as they came.
    public internal(set) var workerEvents = ServerWorkerEvents()
    var baseSwitches: UInt64 = 0
    var sinceSwitches: UInt64 = 0
    var baseBusy: UInt64 = 0
    var sinceBusy: UInt64 = 0
    /// Timestamp of the latest snapshot folded for it, 0 if none.
    var snapTime: UInt64 = 0
    /// When it started running workers, 0 if idle.
    var busySince: UInt64 = 0

    /// Creates a server not seen yet.
    init(id: UInt16) { self.id = id }

    /// Switches done so far: the latest snapshot's plus those of newer events.
    public var switches: UInt64 { baseSwitches &+ sinceSwitches }

    /// ns spent running workers up to `now`.
    public func busy(at now: UInt64) -> UInt64 {
        var b = baseBusy &+ sinceBusy
        if busySince > 0, now > busySince { b &+= now - busySince }
        return b
    }
}

/// Raw counts of one server's events, in file order, with no snapshot corrections: what
/// `umcgtop report` prints.
public struct ServerTally: Sendable, Equatable {
    /// Switches by it.
    public internal(set) var switches: UInt64 = 0
    /// Times it went idle.
    public internal(set) var idles: UInt64 = 0
    /// ns idle, from server-wake events' `arg`.
    public internal(set) var idleNanos: UInt64 = 0

    /// Counts `e`, a switch, server-idle or server-wake event of this server.
    @inline(__always)
    mutating func count(_ e: TraceEvent) {
        switch e.kind {
        case .switchTo: switches += 1
        case .serverIdle: idles += 1
        default: idleNanos &+= e.arg
        }
    }
}

/// Worker events seen on one server (by the events' server field; lost events are not counted).
public struct ServerWorkerEvents: Sendable, Equatable {
    /// Blocking sections entered by workers running on it.
    public internal(set) var blocks: UInt64 = 0
    /// Wakes of its workers.
    public internal(set) var wakes: UInt64 = 0
    /// Yields (UMCG_WAIT) of workers running on it.
    public internal(set) var waits: UInt64 = 0
    /// Preemptions of workers running on it.
    public internal(set) var preemptions: UInt64 = 0

    /// Counts `e` if it is a block, wake, wait or preempt event.
    @inline(__always)
    mutating func count(_ e: TraceEvent) {
        switch e.kind {
        case .block: blocks &+= 1
        case .wake: wakes &+= 1
        case .wait: waits &+= 1
        case .preempt: preemptions &+= 1
        default: break
        }
    }
}
