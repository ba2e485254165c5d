import Synchronization
import UMCGSystem

/// Moves events from a `TraceHub` (or another source of events: `init(drain:…)`, e.g. another
/// process's shared-memory rings) to a trace file and to the dashboard, on its own thread.
///
/// Every `passInterval` to twice that (by the rate, see `nap`) the pump drains each ring (at most
/// `perRingLimit` events per ring per pass), appends the events to the writer (a chunk at least every
/// `flushInterval`), takes a keyframe via `snapshot()` every `keyframeInterval` (and one at the start),
/// and tees every event into `tap`, a ring the dashboard drains (or, after `consume(with:)`, hands it to a sink).
/// A full tap drops for the UI only, never for the file. After a write error the pump stops writing, keeps
/// draining and teeing, and reports the error in `writeError` and from `stop()`.
///
/// Threading rule: `tap.drain` from one consumer thread; everything else from any thread.
public final class TracePump: Sendable {
    /// Events for the dashboard (the pump is its only producer; drain it from one thread).
    public let tap: TraceRing

    private let input: Input
    private let snapshot: @Sendable () -> Snapshot
    private let clock: @Sendable () -> UInt64
    private let keyframeInterval: UInt64
    private let flushInterval: UInt64
    private let passInterval: UInt64
    private let perRingLimit: Int

    private let state: ThreadLock<PumpState>
    private let gate: ThreadLock<StopGate>
    private let firstError = ThreadLock<TraceFileError?>(nil)
    /// Entities announced since the last pass (written as an entity record by the next one).
    private let announced = ThreadLock<[Entity]>([])
    // Statistics: written by the pump under `state`, read anywhere; relaxed, nothing is published through them.
    private let bytes = Atomic<UInt64>(0)
    private let events = Atomic<UInt64>(0)
    private let keyframes = Atomic<UInt64>(0)
    /// Set by `stop()`; the pump thread polls it (releasing store / acquiring load, see `run`).
    private let stopRequested = Atomic<Bool>(false)
    /// Drops announced by markers so far (a `drain` input: its gaps arrive as markers only).
    private let markedDrops = Atomic<UInt64>(0)

    /// Where the events come from.
    private enum Input: Sendable {
        /// Every ring of a hub of this process.
        case hub(TraceHub)
        /// A function that moves up to `limit` events into its body and returns how many.
        case drain(@Sendable (Int, (TraceEvent) -> Void) -> Int)
        /// The same, a batch of events per call of the body.
        case batches(@Sendable (Int, (UnsafeBufferPointer<TraceEvent>) -> Void) -> Int)
    }

    /// Starts a pump thread draining `hub`, writing to `writer` (none: tap only), keyframes from `snapshot`.
    public convenience init(
        hub: TraceHub, info: RunInfo, writer: TraceWriter?, snapshot: @escaping @Sendable () -> Snapshot,
        tapCapacity: Int
    ) {
        self.init(
            hub: hub, info: info, writer: writer, snapshot: snapshot, tapCapacity: tapCapacity,
            keyframeInterval: .seconds(1))
    }

    /// Starts a pump thread that takes its events from `drain` instead of a hub: `drain(limit, body)`
    /// moves up to `limit` events into `body` and returns how many (only the pump thread calls it).
    /// `umcgtop --attach --record` drains another process's shared-memory rings this way.
    public convenience init(
        drain: @escaping @Sendable (Int, (TraceEvent) -> Void) -> Int, writer: TraceWriter?,
        snapshot: @escaping @Sendable () -> Snapshot, tapCapacity: Int
    ) {
        self.init(
            input: .drain(drain), writer: writer, snapshot: snapshot, tapCapacity: tapCapacity,
            keyframeInterval: .seconds(1), flushInterval: .milliseconds(250), passInterval: .milliseconds(2),
            perRingLimit: 8192, clock: { TracePump.monotonicNanoseconds() }, startThread: true)
    }

    /// Like `init(drain:…)`, with a source that moves its events in batches: `drain(limit, body)` passes
    /// up to `limit` events to `body`, a contiguous batch per call (valid only during the call), and
    /// returns how many. The pump tees each batch into the tap with one copy.
    public convenience init(
        drainBatches drain: @escaping @Sendable (Int, (UnsafeBufferPointer<TraceEvent>) -> Void) -> Int,
        writer: TraceWriter?, snapshot: @escaping @Sendable () -> Snapshot, tapCapacity: Int
    ) {
        self.init(
            input: .batches(drain), writer: writer, snapshot: snapshot, tapCapacity: tapCapacity,
            keyframeInterval: .seconds(1), flushInterval: .milliseconds(250), passInterval: .milliseconds(2),
            perRingLimit: 8192, clock: { TracePump.monotonicNanoseconds() }, startThread: true)
    }

    /// Like the short form, with the cadence spelled out; `startThread: false` leaves passes to `pass(now:)` (tests).
    public convenience init(
        hub: TraceHub, info: RunInfo, writer: TraceWriter?, snapshot: @escaping @Sendable () -> Snapshot,
        tapCapacity: Int, keyframeInterval: Duration, flushInterval: Duration = .milliseconds(250),
        passInterval: Duration = .milliseconds(2), perRingLimit: Int = 8192,
        clock: @escaping @Sendable () -> UInt64 = { TracePump.monotonicNanoseconds() }, startThread: Bool = true
    ) {
        // `info`: the writer already holds the header; kept in the signature for callers without a writer.
        _ = info
        self.init(
            input: .hub(hub), writer: writer, snapshot: snapshot, tapCapacity: tapCapacity,
            keyframeInterval: keyframeInterval, flushInterval: flushInterval, passInterval: passInterval,
            perRingLimit: perRingLimit, clock: clock, startThread: startThread)
    }

    private init(
        input: Input, writer: TraceWriter?, snapshot: @escaping @Sendable () -> Snapshot,
        tapCapacity: Int, keyframeInterval: Duration, flushInterval: Duration,
        passInterval: Duration, perRingLimit: Int, clock: @escaping @Sendable () -> UInt64, startThread: Bool
    ) {
        tap = TraceRing(minimumCapacity: tapCapacity, label: "tap")
        self.input = input
        self.snapshot = snapshot
        self.clock = clock
        self.keyframeInterval = Self.nanoseconds(keyframeInterval)
        self.flushInterval = Self.nanoseconds(flushInterval)
        self.passInterval = max(1, Self.nanoseconds(passInterval))
        self.perRingLimit = max(1, perRingLimit)
        state = ThreadLock(PumpState(writer: writer))
        gate = ThreadLock(StopGate())
        if startThread { startPumpThread() }
    }

    /// Bytes in the trace file so far.
    public var bytesWritten: UInt64 { bytes.load(ordering: .relaxed) }  // Relaxed: a statistic, pairs with nothing.
    /// Events written to the file so far (gap entries excluded).
    public var eventsWritten: UInt64 { events.load(ordering: .relaxed) }  // Relaxed: a statistic.
    /// Keyframes written so far.
    public var keyframesWritten: UInt64 { keyframes.load(ordering: .relaxed) }  // Relaxed: a statistic.
    /// Events the producers' rings dropped (lost for the file and the UI alike); for a `drain`
    /// input, the drops its markers announced so far.
    public var droppedEvents: UInt64 {
        switch input {
        case .hub(let hub): hub.dropped
        // Relaxed: a statistic, pairs with nothing.
        case .drain, .batches: markedDrops.load(ordering: .relaxed)
        }
    }
    /// The first write error; nil while writing works (or without a writer).
    public var writeError: TraceFileError? { firstError.withLock { $0 } }

    /// Drains what is left, writes a final keyframe and the end record, closes the file and returns the first
    /// write error. Idempotent (later calls return the same result) and callable from any thread, e.g. the one
    /// handling SIGINT/SIGTERM — but not from inside an asynchronous signal handler (it locks and joins).
    @discardableResult
    public func stop() -> TraceFileError? {
        gate.withLock { gate in
            if gate.stopped { return writeError }
            // Releasing: pairs with the pump thread's acquiring load in `run`.
            stopRequested.store(true, ordering: .releasing)
            if let thread = gate.thread {
                ThreadLauncher.join(thread)
                gate.thread = nil
            }
            state.withLock { finalPass(&$0) }
            gate.stopped = true
            return writeError
        }
    }

    /// Records that `entities` joined the run (workers spawned after the header was written): the next
    /// pass writes them as one entity record, so a replay, `report` and `export` know their names. Any
    /// thread; does not wait for a pass.
    public func announce(_ entities: [Entity]) {
        guard !entities.isEmpty else { return }
        announced.withLock { $0 += entities }
    }

    /// From now on, passes hand every event to `sink` (on the thread that drains: the pump's, or
    /// `stop()`'s caller for the last pass) instead of teeing it into `tap`; events already in the
    /// tap go to `sink` first, in order. The dashboard folds as the pump drains this way, while the
    /// events are still in cache (`umcgtop --attach`). Call it from the tap's consumer thread.
    public func consume(with sink: @escaping @Sendable (UnsafeBufferPointer<TraceEvent>) -> Void) {
        state.withLock { s in
            // Under the pump's lock no pass pushes into the tap: what it holds now is all there is.
            _ = tap.drainBatches(limit: .max) { sink($0) }
            s.sink = sink
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds (the default clock).
    public static func monotonicNanoseconds() -> UInt64 { SystemClock.monotonicNanos() }

    /// One pass at time `now`: drain, write, keyframe/flush when due. Returns the events drained.
    /// The pump thread calls it; tests built with `startThread: false` call it directly.
    @discardableResult
    public func pass(now: UInt64) -> Int {
        state.withLock { s in
            writeAnnounced(&s, now: now)
            let n = drainRings(&s, limit: perRingLimit)
            if s.writing {
                if s.lastKeyframe.map({ now &- $0 >= keyframeInterval }) ?? true {
                    // Keyframes re-anchor the TSC trace clock on CLOCK_MONOTONIC (see TraceClock).
                    TraceClock.shared.reanchor()
                    write(&s) { (w) throws(TraceFileError) in try w.appendKeyframe(snapshot()) }
                    s.lastKeyframe = now
                    s.lastFlush = now
                } else if now &- s.lastFlush >= flushInterval {
                    write(&s) { (w) throws(TraceFileError) in try w.flush() }
                    s.lastFlush = now
                }
            }
            publish(s)
            return n
        }
    }

    // MARK: - Internals

    private static func nanoseconds(_ d: Duration) -> UInt64 {
        let (seconds, attoseconds) = d.components
        if seconds < 0 { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// Writes the entities announced since the last pass as one entity record.
    private func writeAnnounced(_ s: inout PumpState, now: UInt64) {
        let entities = announced.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !entities.isEmpty else { return }
        write(&s) { (w) throws(TraceFileError) in try w.appendEntities(entities, at: now) }
    }

    private func drainRings(_ s: inout PumpState, limit: Int) -> Int {
        let hub: TraceHub
        switch input {
        case .hub(let h): hub = h
        case .drain(let drain):
            if s.marked.isEmpty { s.marked.append(0) }
            return drain(limit) { event in
                if event.kind == .dropped {
                    s.marked[0] = s.marked[0].saturatingAdd(event.arg)
                    // Relaxed: a statistic, pairs with nothing.
                    markedDrops.store(s.marked[0], ordering: .relaxed)
                }
                handle(event, &s)
            }
        case .batches(let drain):
            if s.marked.isEmpty { s.marked.append(0) }
            return drain(limit) { batch in
                let marked = s.marked[0]
                handle(batch, ring: 0, &s)
                if s.marked[0] != marked {
                    // Relaxed: a statistic, pairs with nothing.
                    markedDrops.store(s.marked[0], ordering: .relaxed)
                }
            }
        }
        let rings = hub.allRings
        while s.marked.count < rings.count { s.marked.append(0) }
        var total = 0
        for (i, ring) in rings.enumerated() {
            total += ring.drainBatches(limit: limit) { batch in handle(batch, ring: i, &s) }
        }
        return total
    }

    /// `handle` for each event of `batch`, from ring `ring` (an index into `marked`), with one copy into the tap.
    private func handle(_ batch: UnsafeBufferPointer<TraceEvent>, ring: Int, _ s: inout PumpState) {
        var latest = s.lastTimestamp
        for event in batch {
            if event.kind == .dropped { s.marked[ring] = s.marked[ring].saturatingAdd(event.arg) }
            if event.timestamp > latest { latest = event.timestamp }
        }
        s.lastTimestamp = latest
        if let sink = s.sink { sink(batch) } else { tap.push(contentsOf: batch) }
        if s.writing {
            for event in batch {
                write(&s) { (w) throws(TraceFileError) in try w.append(event) }
                if !s.writing { break }
            }
        }
    }

    @inline(__always)
    private func handle(_ event: TraceEvent, _ s: inout PumpState) {
        s.lastTimestamp = max(s.lastTimestamp, event.timestamp)
        if let sink = s.sink {
            withUnsafePointer(to: event) { sink(UnsafeBufferPointer(start: $0, count: 1)) }
        } else {
            tap.push(event)
        }
        if s.writing { write(&s) { (w) throws(TraceFileError) in try w.append(event) } }
    }

    private func write(_ s: inout PumpState, _ body: (TraceWriter) throws(TraceFileError) -> Void) {
        guard let writer = s.writer, s.writing else { return }
        do throws(TraceFileError) {
            try body(writer)
        } catch {
            s.writing = false
            firstError.withLock { if $0 == nil { $0 = error } }
        }
    }

    private func publish(_ s: PumpState) {
        guard let writer = s.writer else { return }
        // Relaxed: statistics for display; no data is published through them.
        bytes.store(writer.bytesWritten, ordering: .relaxed)
        events.store(writer.eventsWritten, ordering: .relaxed)
        keyframes.store(writer.keyframesWritten, ordering: .relaxed)
    }

    /// Drains everything, turns drops no marker announced into a gap, final keyframe, end record, close.
    private func finalPass(_ s: inout PumpState) {
        writeAnnounced(&s, now: clock())
        // Bounded: producers that keep pushing cannot hold stop() forever.
        for _ in 0..<64 {
            if drainRings(&s, limit: .max) == 0 { break }
        }
        let rings: [TraceRing]
        if case .hub(let hub) = input { rings = hub.allRings } else { rings = [] }
        for (i, ring) in rings.enumerated() where i < s.marked.count {
            let dropped = ring.dropped
            if dropped > s.marked[i] {
                handle(TraceEvent(timestamp: s.lastTimestamp, kind: .dropped, arg: dropped - s.marked[i]), &s)
                s.marked[i] = dropped
            }
        }
        if s.writing {
            write(&s) { (w) throws(TraceFileError) in try w.appendKeyframe(snapshot()) }
            write(&s) { (w) throws(TraceFileError) in try w.finish() }
        }
        publish(s)
    }

    private func startPumpThread() {
        switch ThreadLauncher.start(name: "umcgtop-pump", { [self] in run() }) {
        case .success(let thread):
            gate.withLock { $0.thread = thread }
        case .failure(let e):
            // No thread: stop() still drains and closes from the caller's thread.
            firstError.withLock { $0 = .system(operation: "pthread_create", path: "pump", errno: e) }
        }
    }

    private func run() {
        var last = clock()
        // Acquiring: pairs with stop()'s releasing store.
        while !stopRequested.load(ordering: .acquiring) {
            let now = clock()
            let drained = pass(now: now)
            let nap = Self.nap(
                drained: drained, since: now &- last, passInterval: passInterval, perRingLimit: perRingLimit)
            last = now
            // A nap between passes (not synchronisation: stop() joins the thread).
            if nap > 0 { SystemClock.sleep(nanos: nap) }
        }
    }

    /// The nap after a pass that moved `drained` events `elapsed` ns after the previous one: none
    /// when it found half a ring's limit or more (more may be waiting); otherwise long enough for
    /// about half a ring's limit to arrive at the rate just seen, between `passInterval` and twice
    /// that. A steady million events a second then wakes the pump 250 times a second instead of
    /// 500, and rings still fill no faster than in two intervals.
    static func nap(drained: Int, since elapsed: UInt64, passInterval: UInt64, perRingLimit: Int) -> UInt64 {
        let half = UInt64(max(1, perRingLimit / 2))
        if drained >= Int(half) { return 0 }
        guard drained > 0 else { return 2 &* passInterval }
        let (scaled, overflow) = half.multipliedReportingOverflow(by: max(elapsed, 1))
        let wanted = overflow ? UInt64.max : scaled / UInt64(drained)
        return min(max(wanted, passInterval), 2 &* passInterval)
    }
}

/// What the pump thread owns (behind `TracePump.state`).
struct PumpState: Sendable {
    var writer: TraceWriter?
    /// False without a writer or after a write error.
    var writing: Bool
    /// Per ring (hub order): drops announced by markers so far.
    var marked: [UInt64] = []
    var lastFlush: UInt64 = 0
    var lastKeyframe: UInt64?
    /// Largest event timestamp seen.
    var lastTimestamp: UInt64 = 0
    /// Where events go instead of the tap, once `consume(with:)` named it.
    var sink: (@Sendable (UnsafeBufferPointer<TraceEvent>) -> Void)?

    init(writer: TraceWriter?) {
        self.writer = writer
        writing = writer != nil
    }
}

/// Serialises `stop()` callers.
struct StopGate: Sendable {
    var thread: ThreadLauncher.Handle?
    var stopped = false
}
