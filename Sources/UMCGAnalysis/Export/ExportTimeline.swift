import UMCGTrace

/// Why a worker left its server lane in an export.
public enum LeaveReason: Sendable, Equatable {
    /// It entered a blocking section.
    case blocked(BlockReason)
    /// It yielded (UMCG_WAIT).
    case waited
    /// It ran past its slice.
    case preempted
    /// It unregistered or its thread ended.
    case exited
    /// It handed the server directly to another worker.
    case handedOff
    /// The server switched to another worker without an event saying why this one left.
    case displaced
    /// It showed up running on another server (events were lost or reordered).
    case migrated
    /// The server went idle while this worker was still shown running.
    case serverIdle
    /// A keyframe after a gap said the server runs something else; the keyframe's state of the worker.
    case resynced(WorkerState?)

    /// The Linux `prev_state` Perfetto shows for the worker afterwards: S, D, X or R.
    var prevState: Int64 {
        switch self {
        case .blocked(let reason):
            reason == .io || reason == .read
                ? PerfettoField.TaskState.uninterruptible : PerfettoField.TaskState.interruptible
        case .exited: PerfettoField.TaskState.dead
        case .resynced(.blocked?): PerfettoField.TaskState.interruptible
        case .resynced(.exited?): PerfettoField.TaskState.dead
        default: PerfettoField.TaskState.running
        }
    }

    /// A short name for Chrome args.
    var label: String {
        switch self {
        case .blocked(let reason): "block (\(reason))"
        case .waited: "wait"
        case .preempted: "preempt"
        case .exited: "exit"
        case .handedOff: "handoff"
        case .displaced: "displaced"
        case .migrated: "migrated"
        case .serverIdle: "server-idle"
        case .resynced: "resync"
        }
    }
}

/// One context switch on a server lane: `prev` (nil = idle) stops, `next` (nil = idle) runs.
public struct LaneSwitch: Sendable, Equatable {
    /// When, after clamping to the lane's last timestamp.
    public var timestamp: UInt64
    /// The server (the exported CPU lane).
    public var server: UInt16
    /// The worker that stops running, nil when the server was idle.
    public var prev: UInt32?
    /// When `prev` started running on this lane.
    public var prevSince: UInt64
    /// Why `prev` stopped (meaningless when `prev` is nil).
    public var leave: LeaveReason
    /// The worker that starts running, nil when the server goes idle.
    public var next: UInt32?
}

/// What an exporter draws, derived from trace events by `ExportTimeline`.
public enum ExportTransition: Sendable, Equatable {
    /// A context switch on a server lane.
    case laneSwitch(LaneSwitch)
    /// `worker` became runnable; recorded on lane `lane`, expected to run on `target`.
    case waking(timestamp: UInt64, worker: UInt32, lane: UInt16, target: UInt16)
    /// A point event for the worker's own track (block, wake, preempt, timeout, exit, register).
    case instant(timestamp: UInt64, kind: TraceEventKind, worker: UInt32, server: UInt16?, arg: UInt64)
    /// Events were lost here.
    case gap(timestamp: UInt64, count: UInt64)
}

/// Folds trace events into per-server run slices: which worker each server lane runs.
///
/// Events arrive in file order, which is per-producer order, not global time order, so
/// each lane clamps its timestamps to stay monotonic. After a gap the state may be wrong;
/// the next keyframe re-synchronises every lane with the snapshot's current workers.
/// Memory is bounded: lanes are capped at `maxServers`, remembered servers at `maxRemembered`.
public struct ExportTimeline: Sendable {
    /// Highest number of server lanes (Perfetto CPUs) exported; events on higher ids are ignored.
    public static let maxServers = 1024
    /// Highest number of workers whose last server is remembered (for `sched_waking` targets).
    public static let maxRemembered = 65_536

    private struct Lane: Sendable {
        var current: UInt32?
        var since: UInt64 = 0
        var lastTimestamp: UInt64 = 0
    }

    private var lanes: [Lane] = []
    private var runningOn: [UInt32: UInt16] = [:]
    private var lastServer: [UInt32: UInt16] = [:]
    private var needsResync = false
    /// Events that named no usable server or worker.
    public private(set) var ignoredEvents: UInt64 = 0
    /// Timestamps moved forward to keep a lane monotonic.
    public private(set) var clampedTimestamps: UInt64 = 0
    /// The largest timestamp seen.
    public private(set) var lastTimestamp: UInt64 = 0

    /// Creates an empty timeline.
    public init() {}

    /// Appends to `out` what `event` changes.
    public mutating func apply(_ event: TraceEvent, into out: inout [ExportTransition]) {
        lastTimestamp = max(lastTimestamp, event.timestamp)
        let w = event.worker
        let hasWorker = w != TraceEvent.noWorker
        let server = lane(event.server)
        switch event.kind {
        case .switchTo:
            guard let s = server, hasWorker else { return ignore() }
            switchLane(s, to: w, at: event.timestamp, leave: .displaced, into: &out)
        case .handoff:
            guard hasWorker, let s = runningOn[w] ?? server else { return ignore() }
            let next = event.arg < UInt64(TraceEvent.noWorker) ? UInt32(event.arg) : nil
            if let next {
                switchLane(s, to: next, at: event.timestamp, leave: .handedOff, into: &out)
            } else {
                leaveLane(w, at: event.timestamp, reason: .handedOff, hint: server, into: &out)
            }
        case .block, .wait, .preempt, .exit:
            guard hasWorker else { return ignore() }
            let reason: LeaveReason =
                switch event.kind {
                case .block: .blocked(BlockReason(rawValue: event.arg) ?? .other)
                case .wait: .waited
                case .preempt: .preempted
                default: .exited
                }
            leaveLane(w, at: event.timestamp, reason: reason, hint: server, into: &out)
            if event.kind != .wait {
                out.append(
                    .instant(timestamp: event.timestamp, kind: event.kind, worker: w, server: server, arg: event.arg))
            }
        case .wake, .timeout:
            guard hasWorker else { return ignore() }
            let target = lastServer[w] ?? server ?? 0
            let onLane = server ?? target
            let t = clamp(onLane, event.timestamp)
            out.append(.waking(timestamp: t, worker: w, lane: onLane, target: target))
            out.append(
                .instant(timestamp: event.timestamp, kind: event.kind, worker: w, server: server, arg: event.arg))
        case .serverIdle:
            guard let s = server else { return ignore() }
            if let current = lanes[Int(s)].current {
                leaveLane(current, at: event.timestamp, reason: .serverIdle, hint: s, into: &out)
            }
        case .register:
            guard hasWorker else { return ignore() }
            out.append(.instant(timestamp: event.timestamp, kind: .register, worker: w, server: server, arg: event.arg))
        case .dropped:
            needsResync = true
            out.append(.gap(timestamp: event.timestamp, count: event.arg))
        case .serverWake, .baselineSample, .keyframe:
            break
        }
    }

    /// Records a gap that came as a gap record rather than a `.dropped` event.
    public mutating func applyGap(timestamp: UInt64, count: UInt64, into out: inout [ExportTransition]) {
        lastTimestamp = max(lastTimestamp, timestamp)
        needsResync = true
        out.append(.gap(timestamp: timestamp, count: count))
    }

    /// After a gap, makes every lane run what the keyframe says; otherwise changes nothing
    /// (a keyframe is taken while events are in flight, so trusting it always would flap).
    public mutating func apply(_ snapshot: Snapshot, into out: inout [ExportTransition]) {
        lastTimestamp = max(lastTimestamp, snapshot.timestamp)
        guard needsResync else { return }
        needsResync = false
        var workerStates: [UInt32: WorkerState] = [:]
        for worker in snapshot.workers.prefix(Self.maxRemembered) { workerStates[worker.id] = worker.state }
        for server in snapshot.servers {
            guard let s = lane(server.id) else { continue }
            let desired =
                server.state == .running && server.currentWorker != TraceEvent.noWorker ? server.currentWorker : nil
            let current = lanes[Int(s)].current
            guard current != desired else { continue }
            let reason = LeaveReason.resynced(current.flatMap { workerStates[$0] })
            if let desired {
                switchLane(s, to: desired, at: snapshot.timestamp, leave: reason, into: &out)
            } else if let current {
                leaveLane(current, at: snapshot.timestamp, reason: reason, hint: s, into: &out)
            }
        }
    }

    /// Slices still running: (server, worker, since), for exporters that close them at the end.
    public var openSlices: [(server: UInt16, worker: UInt32, since: UInt64)] {
        lanes.enumerated().compactMap { index, lane in
            lane.current.map { (UInt16(index), $0, lane.since) }
        }
    }

    // MARK: - Lanes

    private mutating func ignore() { ignoredEvents += 1 }

    /// The lane of `server`, growing the lane table; nil for "no server" or ids past the cap.
    private mutating func lane(_ server: UInt16) -> UInt16? {
        guard server != TraceEvent.noServer, Int(server) < Self.maxServers else { return nil }
        while lanes.count <= Int(server) { lanes.append(Lane()) }
        return server
    }

    /// `timestamp` clamped to lane `s`'s last timestamp, which it then becomes.
    private mutating func clamp(_ s: UInt16, _ timestamp: UInt64) -> UInt64 {
        guard lane(s) != nil else { return timestamp }
        let last = lanes[Int(s)].lastTimestamp
        if timestamp < last { clampedTimestamps += 1 }
        let t = max(timestamp, last)
        lanes[Int(s)].lastTimestamp = t
        return t
    }

    /// Lane `s` switches from whatever it runs to `worker` (moving `worker` off another lane first).
    private mutating func switchLane(
        _ s: UInt16, to worker: UInt32, at timestamp: UInt64, leave: LeaveReason, into out: inout [ExportTransition]
    ) {
        if lanes[Int(s)].current == worker { return }
        if let other = runningOn[worker], other != s {
            leaveLane(worker, at: timestamp, reason: .migrated, hint: other, into: &out)
        }
        let t = clamp(s, timestamp)
        let prev = lanes[Int(s)].current
        out.append(
            .laneSwitch(
                LaneSwitch(
                    timestamp: t, server: s, prev: prev, prevSince: lanes[Int(s)].since, leave: leave, next: worker)))
        if let prev { runningOn[prev] = nil }
        lanes[Int(s)].current = worker
        lanes[Int(s)].since = t
        runningOn[worker] = s
        remember(worker, on: s)
    }

    /// `worker` stops running and its lane goes idle; nothing if it is not running.
    private mutating func leaveLane(
        _ worker: UInt32, at timestamp: UInt64, reason: LeaveReason, hint: UInt16?, into out: inout [ExportTransition]
    ) {
        let s: UInt16
        if let running = runningOn[worker] {
            s = running
        } else if let hint, Int(hint) < lanes.count, lanes[Int(hint)].current == worker {
            s = hint
        } else {
            return
        }
        let t = clamp(s, timestamp)
        out.append(
            .laneSwitch(
                LaneSwitch(
                    timestamp: t, server: s, prev: worker, prevSince: lanes[Int(s)].since, leave: reason, next: nil)))
        lanes[Int(s)].current = nil
        lanes[Int(s)].since = t
        runningOn[worker] = nil
    }

    private mutating func remember(_ worker: UInt32, on s: UInt16) {
        if lastServer[worker] != nil || lastServer.count < Self.maxRemembered { lastServer[worker] = s }
    }
}
