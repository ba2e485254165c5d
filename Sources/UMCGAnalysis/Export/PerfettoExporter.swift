import UMCGTrace

/// Streams a recorded run into a Perfetto trace (`.pftrace`: a protobuf `Trace`, i.e.
/// repeated `TracePacket` as field 1), which ui.perfetto.dev and trace_processor open.
///
/// - Servers are CPU lanes: one `FtraceEventBundle` per server (cpu = server id) carries
///   `sched_switch` (worker in, worker out to the idle task pid 0 with prev_state R/S/D/X)
///   and `sched_waking`, so Perfetto builds its CPU and thread-state tracks.
/// - Workers are threads of one process "umcgtop" (a `ProcessTree` packet), named by entity.
/// - Counter tracks (TrackDescriptor + TrackEvent TYPE_COUNTER): UMCG, futex and condvar switches/s.
/// - Why a worker stopped or woke (block with its reason, preempt, timeout, exit) is an
///   instant event on the worker's thread track, which Perfetto merges with its thread state.
/// - Gaps are instant events on the process track.
/// - Clock: packets use the default trace clock (BOOTTIME domain) holding the trace's
///   CLOCK_MONOTONIC ns unchanged; a `ClockSnapshot` says BOOTTIME = MONOTONIC and maps
///   them to REALTIME through the header's anchors, so the UI can show wall-clock time.
///
/// Memory is bounded: records wait in the pipeline's reorder buffer (at most 65,536), ftrace
/// events in a per-lane bundle of at most `bundleBytes`, output in a buffer of at most
/// `flushBytes`; everything else is written as it comes.
/// One thread at a time (a value type).
public struct PerfettoExporter<Sink: ExportByteSink>: TraceExporter, PipelinedExporter {
    /// A bundle is flushed into its own packet at this size.
    public static var bundleBytes: Int { 32 * 1024 }
    /// Output is handed to the sink in chunks of about this size.
    public static var flushBytes: Int { 64 * 1024 }
    /// trusted_packet_sequence_id of every packet (one writer, one sequence).
    static var sequenceId: UInt64 { 1 }

    /// The packet sequence of a counter track: its own, so that every sequence is in time order (counter values
    /// are stamped at their interval's start, which precedes the instants already written on sequence 1).
    static func sequenceId(of rate: RateTrack) -> UInt64 {
        switch rate {
        case .umcg: 2
        case .futex: 3
        case .condvar: 4
        case .umcgPingPong: 5
        }
    }

    /// Counter sequences that have had their first packet (which clears incremental state).
    private var startedSequences: Set<UInt64> = []
    /// The uuid of the process track; counter tracks follow it.
    static var processTrackUuid: UInt64 { 0x756D_6367_0001 }  // "umcg" + 1
    /// Thread track uuids are this plus the thread's pid.
    static var threadTrackBase: UInt64 { 0x7468_7264_0000_0000 }  // "thrd"

    /// The sink; read it after `finish()` (e.g. a `MemoryByteSink`'s bytes).
    public private(set) var sink: Sink
    /// What was written so far.
    public internal(set) var stats = ExportStats()

    private let info: RunInfo
    private var threads: ExportThreadTable
    var pipeline = ExportPipeline()
    private var bundles: [ProtoWriter] = []
    private var bundleEvents: [Int] = []
    private var output = ProtoWriter(capacity: 64 * 1024)
    var pendingTransitions: [ExportTransition] = []
    var pendingSamples: [CounterSample] = []
    private var threadTracks: Set<Int32> = []
    private var started = false
    private var finished = false

    /// Creates an exporter for the run `info`, writing to `output`.
    public init(info: RunInfo, output: Sink) {
        self.info = info
        self.sink = output
        self.threads = ExportThreadTable(info: info)
    }

    /// Adds one trace event.
    public mutating func add(_ event: TraceEvent) throws(ExportError) { try take(.event(event)) }

    /// Adds one keyframe (baseline counters; lane resync after a gap).
    public mutating func add(_ snapshot: Snapshot) throws(ExportError) { try take(.snapshot(snapshot)) }

    /// Adds a gap record.
    public mutating func addGap(timestamp: UInt64, count: UInt64) throws(ExportError) {
        try take(.gap(timestamp: timestamp, count: count))
    }

    /// Flushes every lane's bundle, the last counter bucket and the output. Call once.
    public mutating func finish() throws(ExportError) {
        try finishPipeline()
        for lane in bundles.indices { flushBundle(lane) }
        try flushOutput(force: true)
        finished = true
    }

    // MARK: - Packets

    /// Writes the header packets once: clock snapshot, process tree, track descriptors.
    mutating func begin() throws(ExportError) {
        guard !finished else { throw .alreadyFinished }
        guard !started else { return }
        started = true
        let info = self.info
        packet(clearsState: true) { p in
            p.message(PerfettoField.Packet.clockSnapshot) { c in
                let anchor = info.monotonicAnchorNs
                for clock in [PerfettoField.ClockSnapshot.boottime, PerfettoField.ClockSnapshot.monotonic] {
                    c.message(PerfettoField.ClockSnapshot.clocks) { k in
                        k.uint(PerfettoField.ClockSnapshot.clockId, clock)
                        k.uint(PerfettoField.ClockSnapshot.clockTimestamp, anchor)
                    }
                }
                if info.wallClockAnchorNs > 0 {
                    c.message(PerfettoField.ClockSnapshot.clocks) { k in
                        k.uint(PerfettoField.ClockSnapshot.clockId, PerfettoField.ClockSnapshot.realtime)
                        k.uint(PerfettoField.ClockSnapshot.clockTimestamp, info.wallClockAnchorNs)
                    }
                }
                c.uint(PerfettoField.ClockSnapshot.primaryTraceClock, PerfettoField.ClockSnapshot.boottime)
            }
        }
        let workers = threads.tableWorkers.map { threads.lookup($0) }
        packet { p in
            p.message(PerfettoField.Packet.processTree) { tree in
                tree.message(PerfettoField.ProcessTree.processes) { proc in
                    proc.int32(PerfettoField.ProcessTree.processPid, ExportThreadTable.processPid)
                    proc.int32(PerfettoField.ProcessTree.processPpid, 0)
                    proc.string(PerfettoField.ProcessTree.processCmdline, "umcgtop")
                }
                for worker in workers { Self.encodeThread(worker, into: &tree) }
            }
        }
        packet { p in
            p.message(PerfettoField.Packet.trackDescriptor) { track in
                track.uint(PerfettoField.Track.uuid, Self.processTrackUuid)
                track.message(PerfettoField.Track.process) { proc in
                    proc.int32(PerfettoField.Track.processPid, ExportThreadTable.processPid)
                    proc.string(PerfettoField.Track.processName, "umcgtop")
                }
            }
        }
        for rate in RateTrack.allCases {
            packet { p in
                p.message(PerfettoField.Packet.trackDescriptor) { track in
                    track.uint(PerfettoField.Track.uuid, Self.uuid(of: rate))
                    track.string(PerfettoField.Track.name, rate.name)
                    track.message(PerfettoField.Track.counter) { counter in
                        counter.uint(PerfettoField.Track.counterUnit, PerfettoField.Track.unitCount)
                    }
                }
            }
        }
        try flushOutput(force: false)
    }

    /// The counter track uuid of `rate`.
    static func uuid(of rate: RateTrack) -> UInt64 {
        switch rate {
        case .umcg: processTrackUuid + 1
        case .futex: processTrackUuid + 2
        case .condvar: processTrackUuid + 3
        case .umcgPingPong: processTrackUuid + 4
        }
    }

    private static func encodeThread(_ thread: ExportThread, into tree: inout ProtoWriter) {
        tree.message(PerfettoField.ProcessTree.threads) { t in
            t.int32(PerfettoField.ProcessTree.threadTid, thread.pid)
            t.string(PerfettoField.ProcessTree.threadName, thread.name)
            t.int32(PerfettoField.ProcessTree.threadTgid, ExportThreadTable.processPid)
        }
    }

    /// Appends one `TracePacket` (field 1 of `Trace`) with the sequence id set.
    private mutating func packet(
        timestamp: UInt64? = nil, sequence: UInt64 = Self.sequenceId, clearsState: Bool = false,
        _ body: (inout ProtoWriter) -> Void
    ) {
        output.message(PerfettoField.Trace.packet) { p in
            if let timestamp { p.uint(PerfettoField.Packet.timestamp, timestamp) }
            body(&p)
            p.uint(PerfettoField.Packet.trustedPacketSequenceId, sequence)
            if clearsState {
                p.uint(PerfettoField.Packet.sequenceFlags, PerfettoField.Packet.seqIncrementalStateCleared)
            }
        }
    }

    private mutating func flushOutput(force: Bool) throws(ExportError) {
        guard output.count > 0, force || output.count >= Self.flushBytes else { return }
        stats.bytes += UInt64(output.count)
        try sink.write(output.bytes)
        output.removeAll()
    }

    // MARK: - Transitions

    /// Encodes one lane switch, waking, instant or gap.
    mutating func render(_ transition: ExportTransition) {
        switch transition {
        case .laneSwitch(let change):
            writeSwitch(change)
        case .waking(let timestamp, let worker, let lane, let target):
            writeWaking(timestamp: timestamp, worker: worker, lane: lane, target: target)
        case .gap(let timestamp, let count):
            stats.gaps += 1
            stats.instants += 1
            packet(timestamp: timestamp) { p in
                p.message(PerfettoField.Packet.trackEvent) { e in
                    e.uint(PerfettoField.TrackEvent.type, PerfettoField.TrackEvent.typeInstant)
                    e.uint(PerfettoField.TrackEvent.trackUuid, Self.processTrackUuid)
                    e.string(PerfettoField.TrackEvent.name, "dropped \(count) events")
                }
            }
        case .instant(let timestamp, let kind, let worker, _, let arg):
            writeInstant(timestamp: timestamp, kind: kind, worker: worker, arg: arg)
        }
    }

    /// Encodes one counter value.
    mutating func render(_ sample: CounterSample) {
        stats.counterSamples += 1
        let sequence = Self.sequenceId(of: sample.track)
        let first = startedSequences.insert(sequence).inserted
        packet(timestamp: sample.timestamp, sequence: sequence, clearsState: first) { p in
            p.message(PerfettoField.Packet.trackEvent) { e in
                e.uint(PerfettoField.TrackEvent.type, PerfettoField.TrackEvent.typeCounter)
                e.uint(PerfettoField.TrackEvent.trackUuid, Self.uuid(of: sample.track))
                e.double(PerfettoField.TrackEvent.doubleCounterValue, sample.value)
            }
        }
    }

    mutating func flushFull() throws(ExportError) { try flushOutput(force: false) }

    /// The (comm, pid) of what lane `lane` runs: a worker, or the idle task.
    private mutating func task(_ worker: UInt32?, lane: UInt16) -> (comm: String, pid: Int32) {
        guard let worker else { return ("swapper/\(lane)", 0) }
        let (thread, isNew) = threads.worker(worker)
        if isNew {
            packet { p in
                p.message(PerfettoField.Packet.processTree) { tree in Self.encodeThread(thread, into: &tree) }
            }
        }
        return (thread.name, thread.pid)
    }

    private mutating func writeSwitch(_ change: LaneSwitch) {
        stats.switches += 1
        let prev = task(change.prev, lane: change.server)
        let next = task(change.next, lane: change.server)
        let prevState = change.prev == nil ? PerfettoField.TaskState.running : change.leave.prevState
        appendEvent(lane: change.server) { e in
            e.uint(PerfettoField.FtraceEvent.timestamp, change.timestamp)
            e.uint(PerfettoField.FtraceEvent.pid, UInt64(UInt32(bitPattern: prev.pid)))
            e.message(PerfettoField.FtraceEvent.schedSwitch) { s in
                s.string(PerfettoField.SchedSwitch.prevComm, prev.comm)
                s.int32(PerfettoField.SchedSwitch.prevPid, prev.pid)
                s.int32(PerfettoField.SchedSwitch.prevPrio, 120)
                s.int64(PerfettoField.SchedSwitch.prevState, prevState)
                s.string(PerfettoField.SchedSwitch.nextComm, next.comm)
                s.int32(PerfettoField.SchedSwitch.nextPid, next.pid)
                s.int32(PerfettoField.SchedSwitch.nextPrio, 120)
            }
        }
    }

    /// An instant on the worker's thread track: why it stopped or woke (wake itself is a sched_waking).
    private mutating func writeInstant(timestamp: UInt64, kind: TraceEventKind, worker: UInt32, arg: UInt64) {
        let name: String
        switch kind {
        case .block: name = "block (\(BlockReason(rawValue: arg) ?? .other))"
        case .preempt, .timeout, .exit: name = kind.description
        default: return
        }
        let (thread, isNew) = threads.worker(worker)
        if isNew {
            packet { p in
                p.message(PerfettoField.Packet.processTree) { tree in Self.encodeThread(thread, into: &tree) }
            }
        }
        let uuid = Self.threadTrackBase + UInt64(UInt32(bitPattern: thread.pid))
        if threadTracks.insert(thread.pid).inserted {
            packet { p in
                p.message(PerfettoField.Packet.trackDescriptor) { track in
                    track.uint(PerfettoField.Track.uuid, uuid)
                    track.message(PerfettoField.Track.thread) { t in
                        t.int32(PerfettoField.Track.threadPid, ExportThreadTable.processPid)
                        t.int32(PerfettoField.Track.threadTid, thread.pid)
                        t.string(PerfettoField.Track.threadName, thread.name)
                    }
                }
            }
        }
        stats.instants += 1
        packet(timestamp: timestamp) { p in
            p.message(PerfettoField.Packet.trackEvent) { e in
                e.uint(PerfettoField.TrackEvent.type, PerfettoField.TrackEvent.typeInstant)
                e.uint(PerfettoField.TrackEvent.trackUuid, uuid)
                e.string(PerfettoField.TrackEvent.name, name)
            }
        }
    }

    private mutating func writeWaking(timestamp: UInt64, worker: UInt32, lane: UInt16, target: UInt16) {
        stats.wakings += 1
        let woken = task(worker, lane: lane)
        appendEvent(lane: lane) { e in
            e.uint(PerfettoField.FtraceEvent.timestamp, timestamp)
            e.uint(PerfettoField.FtraceEvent.pid, 0)
            e.message(PerfettoField.FtraceEvent.schedWaking) { s in
                s.string(PerfettoField.SchedWaking.comm, woken.comm)
                s.int32(PerfettoField.SchedWaking.pid, woken.pid)
                s.int32(PerfettoField.SchedWaking.prio, 120)
                s.int32(PerfettoField.SchedWaking.success, 1)
                s.int32(PerfettoField.SchedWaking.targetCpu, Int32(target))
            }
        }
    }

    /// Appends one `FtraceEvent` to lane `lane`'s bundle, flushing the bundle when full.
    private mutating func appendEvent(lane: UInt16, _ body: (inout ProtoWriter) -> Void) {
        let index = Int(lane)
        while bundles.count <= index {
            bundles.append(ProtoWriter())
            bundleEvents.append(0)
        }
        bundles[index].message(PerfettoField.Bundle.event, body)
        bundleEvents[index] += 1
        if bundles[index].count >= Self.bundleBytes { flushBundle(index) }
    }

    /// Writes lane `index`'s pending events as one `ftrace_events` packet.
    private mutating func flushBundle(_ index: Int) {
        guard bundleEvents[index] > 0 else { return }
        let events = bundles[index].bytes
        packet { p in
            p.message(PerfettoField.Packet.ftraceEvents) { b in
                b.uint(PerfettoField.Bundle.cpu, UInt64(index))
                b.appendRaw(events)
            }
        }
        bundles[index].removeAll()
        bundleEvents[index] = 0
    }
}
