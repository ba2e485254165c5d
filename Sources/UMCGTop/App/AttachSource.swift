import Synchronization
import UMCGSystem
import UMCGTrace

/// Another process's engine as an event source (`umcgtop --attach PID`, `umcgtop run`): its
/// shared-memory region (`AttachedRegion`), read by this viewer.
///
/// At the start the source takes the consumer lease when it is free. A `TracePump` thread (the
/// machinery `LiveSource` uses) then drains the target's rings every 2 to 4 ms (by the rate it
/// sees), writes the recording (`--record`) and, from the first `pump(into:)` on, folds every
/// event into the aggregator itself (`Aggregator.foldSink()`) while the event is still in cache,
/// instead of copying it into a tap for the UI thread to fold from memory later: rings drained
/// that often keep up with a target doing millions of events per second, where a drain per
/// 50 ms UI tick would let a 16,384-slot ring overflow, and the viewer's CPU per event is what
/// the fold costs. (Before the first `pump(into:)` events wait in the tap; the hand-over folds them first.) When another viewer holds the lease the
/// source shows counters only, and the note says which pid has the events; the pump takes the
/// lease over when that viewer leaves.
///
/// Every `snapshotInterval` a pump folds the target's latest lossless snapshot and asks for the
/// next one (counters lag one interval), so attaching, detaching (`stop`) and attaching again lose
/// nothing the counters know. Entities the target adds later (servers and workers) get rows when
/// its run info is re-read (every `infoInterval`). When the target closes its region or dies the
/// status line says "exited" (with the status when known), the last state stays, and `finished`
/// turns true once the rings are empty (a headless run ends there).
///
/// Threading rule: the UI thread calls everything. The pump thread calls only
/// `AttachedRegion.drainBatches`, which the UI thread never calls, and the aggregator's fold
/// sink (which locks the fold; the aggregator's own accesses lock it too).
public final class AttachSource: EventSource {
    /// The target's pid.
    public let pid: Int32
    /// The target's command name (from its region).
    public let commandName: String
    /// The target's run facts when attaching, with the entities known now.
    public private(set) var info: RunInfo
    /// Fold the target's snapshot (and ask for the next) this often, in ns.
    public var snapshotIntervalNanos: UInt64 = 250_000_000
    /// Re-read the target's run info (new entities) and its state this often, in ns.
    public var infoIntervalNanos: UInt64 = 1_000_000_000
    /// Events folded from the target's rings so far (gap markers included; events the tap dropped
    /// because the UI fell behind by more than 131,072 events before the fold was handed to the
    /// pump are not).
    public private(set) var eventsReceived: UInt64 = 0

    private let region: RegionBox
    private let pump: TracePump
    private let recordPath: String?
    private let child: ChildProcess?
    private let lastSnapshot: ThreadLock<Snapshot?>
    private var knownEntities: Set<Entity>
    private var nextSnapshotAt: UInt64 = 0
    private var nextInfoAt: UInt64 = 0
    private var ended: String?
    private var exitStatus: Int32?
    /// Whether the view ended because the target truncated its region.
    private var truncated = false
    private var stalled = false
    private var holder: Int32?
    private var lastDrained = 0
    private var stopped = false
    private var finalError: TraceFileError?
    private var infoError: String?
    /// The aggregator the pump folds into (after the first `pump(into:)`), and the events it folded.
    private weak var foldingInto: Aggregator?
    private let folded = FoldedCount()

    /// Opens process `pid`'s region in `directory` (validated, permission-checked), registers as
    /// a viewer and takes the consumer lease if it is free. `recordPath` records what arrives;
    /// `child` (for `umcgtop run`) is the target started by us: its exit status is reaped here.
    /// Throws `SharedRegionError` (no region, not yours, invalid) or `TraceFileError` (recording).
    public init(
        pid: Int32, directory: String = "/dev/shm", recordPath: String? = nil, force: Bool = false,
        child: ChildProcess? = nil
    ) throws {
        let region = try Self.open(pid: pid, directory: directory)
        self.pid = pid
        self.child = child
        commandName = region.commandName
        // The target publishes its info right after creating the region; a torn read is retried.
        var info: RunInfo?
        for _ in 0..<50 {
            info = try region.readInfo()
            if info != nil { break }
            SystemClock.sleep(nanos: 2_000_000)
        }
        self.info =
            info
            ?? RunInfo(
                backend: region.backendName, backendReason: "", kernel: "", hostname: "", cpus: 0,
                scenario: region.commandName, wallClockAnchorNs: 0, monotonicAnchorNs: 0, entities: [])
        knownEntities = Set(self.info.entities)
        let first = region.latestSnapshot()
        lastSnapshot = ThreadLock(first)
        region.requestSnapshot()
        self.region = RegionBox(region)
        self.recordPath = recordPath
        var writer: TraceWriter?
        if let recordPath {
            do {
                writer = try TraceWriter(path: recordPath, info: self.info, force: force)
            } catch {
                region.detach()
                throw error
            }
        }
        _ = region.acquireConsumer()
        let (box, last) = (self.region, lastSnapshot)
        let start = SystemClock.monotonicNanos()
        pump = TracePump(
            drainBatches: { limit, body in box.region.drainBatches(limit: limit, body) }, writer: writer,
            snapshot: { last.withLock { $0 } ?? Snapshot(timestamp: start, servers: [], workers: []) },
            tapCapacity: 1 << 17)
    }

    deinit { stop() }

    /// Opens the region, retrying for up to 100 ms while it does not validate: a region still
    /// being created has no magic yet (the publisher writes it last).
    static func open(pid: Int32, directory: String) throws(SharedRegionError) -> AttachedRegion {
        var attempts = 0
        while true {
            do {
                return try AttachedRegion.open(pid: pid, directory: directory)
            } catch  where error.kind == .invalid && attempts < 10 {
                attempts += 1
                SystemClock.sleep(nanos: 10_000_000)
            }
        }
    }

    /// Whether this viewer drains the target's rings (holds the consumer lease).
    public var isConsumer: Bool { holder == nil }

    /// Drains events (bounded), folds the target's latest snapshot when due, adds rows for new
    /// entities, and follows the target's state.
    ///
    /// The first call hands the folding to the pump thread (`Aggregator.foldSink()`); from then on
    /// this returns the events the pump folded since the last call, and `budget` does not apply.
    public func pump(into aggregator: inout Aggregator, budget: Int, now: UInt64) -> Int {
        // After `stop()`: what the pump's last drain left in the tap (when it had no sink), nothing from the region.
        guard !stopped else {
            let n = aggregator.ingest(draining: pump.tap, limit: budget) + folded.take()
            eventsReceived &+= UInt64(n)
            return n
        }
        handFold(to: aggregator)
        if now >= nextInfoAt {
            nextInfoAt = now &+ infoIntervalNanos
            refreshInfo(aggregator)
            followTarget()
        }
        // Once the pump folds, the tap stays empty: not even an access to the fold (each one merges
        // the latency values the pump left pending).
        let n = (foldingInto == nil ? aggregator.ingest(draining: pump.tap, limit: budget) : 0) + folded.take()
        if let recordPath {
            aggregator.model.status.recordingPath = recordPath
            aggregator.model.status.recordingBytes = pump.bytesWritten
        }
        lastDrained = n
        eventsReceived &+= UInt64(n)
        if now >= nextSnapshotAt {
            nextSnapshotAt = now &+ snapshotIntervalNanos
            // Taken after the drain, so it covers the drained events (up to one interval late).
            if let s = region.region.latestSnapshot() {
                lastSnapshot.withLock { $0 = s }
                aggregator.ingest(snapshot: s)
            }
            if ended == nil { region.region.requestSnapshot() }
        }
        aggregator.model.status.targetEnded = ended
        return n
    }

    /// Has the pump fold into `aggregator` from now on (once per aggregator; nothing when it
    /// cannot take a sink). Events waiting in the tap are folded first, in order.
    private func handFold(to aggregator: Aggregator) {
        // By reference, not by address: a later aggregator at a freed one's address is another one.
        guard foldingInto !== aggregator, let sink = aggregator.foldSink() else { return }
        foldingInto = aggregator
        let count = folded
        pump.consume { batch in
            count.add(batch.count)
            sink(batch)
        }
    }

    /// Rows for entities the target added since the last look (and an entity record when recording).
    private func refreshInfo(_ aggregator: Aggregator) {
        let fresh: RunInfo?
        do {
            fresh = try region.region.readInfo()
            infoError = nil
        } catch {
            infoError = error.description
            return
        }
        guard let fresh else { return }
        let added = fresh.entities.filter { !knownEntities.contains($0) }
        guard !added.isEmpty else { return }
        knownEntities.formUnion(added)
        info.entities += added
        _ = aggregator.addServers(added)
        _ = aggregator.addWorkers(added)
        pump.announce(added)
    }

    /// The target's state: exited (closed, gone, or our child reaped), stalled; who holds the events.
    /// Once it ended, the pump is stopped: its last drain moves what the target left into the tap
    /// (and the recording is finished), so `finished` means every event was passed on.
    private func followTarget() {
        defer { if ended != nil { finalError = pump.stop() } }
        if ended == nil {
            if let t = child?.poll() {
                exitStatus = t.shellStatus
                ended = "exited (\(t))"
            } else {
                let state = region.region.targetState
                switch state {
                case .closed(let status):
                    exitStatus = status
                    ended = status.map { "exited (exit status \($0))" } ?? "exited"
                case .gone: ended = "exited"
                case .truncated:
                    ended = "region truncated (hostile or broken target)"
                    truncated = true
                case .stalled, .live:
                    // A dead process its parent has not reaped yet still has its /proc entry.
                    if Self.isZombie(pid) { ended = "exited" } else { stalled = state == .stalled }
                }
            }
        }
        // The pump's drains take the lease when it is free; only read who has it here.
        let me = ProcessIdentity.id
        holder = region.region.consumerPID.flatMap { $0 == me ? nil : $0 }
    }

    /// Whether process `pid` is a zombie (state Z or X in /proc/PID/stat: it exited, not reaped yet).
    static func isZombie(_ pid: Int32) -> Bool {
        guard let bytes = try? FilePath.readSmallFile("/proc/\(pid)/stat", limit: 4096),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count
        else { return false }
        let state = bytes[close + 2]
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
    }

    /// Attach sources have no clock to drive.
    public func perform(_ command: ReplayCommand, aggregator: inout Aggregator, now: UInt64) -> Bool { false }

    /// True once the target ended and every event it left was folded.
    public var finished: Bool { ended != nil && lastDrained == 0 }

    /// The target's exit status when it ended and it is known.
    public var targetExitStatus: Int32? { exitStatus }

    /// 65 (invalid data, as when the region is refused at attach) once the target truncated its
    /// region under us.
    public var failureStatus: Int32? { truncated ? 65 : nil }

    /// How the target ended ("exited (exit status 7)"), nil while it runs.
    public var targetEnded: String? { ended }

    /// Ends the recording (the pump drains what is left), takes a last snapshot, then gives back
    /// the consumer lease and the viewer slot. Idempotent.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        finalError = pump.stop()
        if let s = region.region.latestSnapshot() { lastSnapshot.withLock { $0 = s } }
        region.region.detach()
    }

    /// The target's latest lossless counters (after `stop()`: the last ones read).
    public func snapshot() -> Snapshot? { lastSnapshot.withLock { $0 } }

    /// A recording error, another viewer holding the events, a stalled target, an unreadable info area.
    public var note: String? {
        if let error = finalError ?? pump.writeError { return "recording stopped: \(error.description)" }
        if let holder { return "counters only: process \(holder) is draining the events" }
        if stalled && ended == nil { return "process \(pid) stalled: no heartbeat for 3 s" }
        if let infoError { return "run info: \(infoError)" }
        return nil
    }

    /// `mode`, the target, what arrived from it and, when recording, `recording`.
    public var summaryFields: [(String, JSONValue)] {
        let r = region.region
        var fields: [(String, JSONValue)] = [
            ("mode", .string("attach")), ("pid", .int(Int64(pid))), ("command", .string(commandName)),
            ("target", .string(ended ?? (stalled ? "stalled" : "live"))),
            ("target_exit_status", exitStatus.map { .int(Int64($0)) } ?? .null),
            ("consumer", .bool(holder == nil)),
            ("events_received", .uint(eventsReceived)), ("dropped_by_viewer", .uint(pump.tap.dropped)),
            ("events_published", .uint(r.eventsPublished)), ("dropped_by_target", .uint(r.droppedByTarget)),
        ]
        if let recordPath {
            fields.append(("recording", pump.recordingSummary(path: recordPath, finalError: finalError)))
        }
        return fields
    }
}

/// The region, handed to the pump thread for `drain` only.
final class RegionBox: Sendable {
    /// The region (itself `@unchecked Sendable`: one thread per operation, see `AttachSource`).
    let region: AttachedRegion
    init(_ region: AttachedRegion) { self.region = region }
}

/// Events the pump thread folded, taken by the UI thread.
final class FoldedCount: Sendable {
    private let count = Atomic<Int>(0)

    /// Adds `n` (pump thread).
    func add(_ n: Int) {
        // Relaxed: a count for the status line; the events themselves are published by the fold's lock.
        count.add(n, ordering: .relaxed)
    }

    /// Returns the count since the last call and restarts it (UI thread).
    func take() -> Int {
        // Relaxed: as in `add`.
        count.exchange(0, ordering: .relaxed)
    }
}
