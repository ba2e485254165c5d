import UMCGSystem
import UMCGTrace

/// A recorded `.umcgtrace` file as an event source, driven by a `ReplayClock`.
///
/// Every tick the clock advances by the wall time elapsed × speed, and the records whose
/// timestamps it has passed are fed to the aggregator (bounded per tick). A seek backwards, or far
/// forwards, resets the aggregator and rebuilds it from the nearest keyframe at or before the
/// target (the reader's index: only that keyframe and the events after it are decoded).
/// At the end the clock stops, paused. A truncated or damaged file plays up to its last good
/// record and shows the reader's warning in the status line.
/// Threading rule: the UI thread calls everything.
public final class ReplaySource: EventSource {
    /// The open file.
    public let reader: TraceReader
    /// The virtual clock (position, speed, play state).
    public private(set) var clock: ReplayClock
    private var cursor: TraceCursor
    private var pending: TraceRecord?
    private var lastWall: UInt64?
    private var readError: String?
    private var lastKeyframe: Snapshot?
    /// A seek further forward than this rebuilds from a keyframe instead of folding every event between.
    private let rebuildForwardNanos: UInt64 = 2_000_000_000
    /// A rebuild starts from a keyframe at least this long before the target (one rate window).
    private let warmupNanos: UInt64 = 1_100_000_000
    /// Trace time between the ticks of a rebuild.
    private let warmupStepNanos: UInt64 = 250_000_000
    /// Most records a seek folds at once; the rest is folded by the following pumps (bounded per tick),
    /// so a seek across a dense or keyframe-less stretch never keeps the UI from reading keys and signals.
    public var seekBudget = 200_000
    /// False: `pump` folds as fast as the file reads (the clock follows the records) instead of
    /// advancing with wall time × speed (headless replays without `--pace`).
    public let paced: Bool

    /// The recording's header.
    public var info: RunInfo { reader.info }

    /// Opens `path`; `speed` is the initial playback speed. Throws the reader's one-line error.
    public init(path: String, speed: Double = 1, paced: Bool = true) throws(TraceFileError) {
        self.paced = paced
        reader = try TraceReader.open(path: path)
        let first = reader.summary.firstTimestamp ?? 0
        clock = ReplayClock(start: first, end: reader.summary.lastTimestamp ?? first, speed: speed)
        cursor = reader.makeCursor()
    }

    /// True once the clock reached the end and every record up to it was fed.
    public var finished: Bool {
        clock.atEnd && pending == nil && (readError != nil || peekTimestamp() == nil)
    }

    /// The clock's position.
    public func traceTime(now: UInt64) -> UInt64 { clock.position }

    /// Advances the clock by the wall time since the last pump and feeds what it passed (bounded).
    /// Unpaced: feeds up to `budget` records whatever their timestamps and moves the clock to the last one.
    public func pump(into aggregator: inout Aggregator, budget: Int, now: UInt64) -> Int {
        let n: Int
        if paced {
            if let lastWall, now > lastWall { clock.advance(byWallNanos: now - lastWall) }
            lastWall = now
            n = feed(into: aggregator, upTo: clock.position, budget: budget)
        } else {
            n = feed(into: aggregator, upTo: clock.end, budget: budget)
            // The clock follows the data: at the next record's time, or the end when none is left.
            clock.seek(to: max(clock.position, peekTimestamp() ?? clock.end))
        }
        aggregator.showReplay(clock)
        return n
    }

    /// Drives the clock; rebuilds from a keyframe after a backward or long forward jump.
    public func perform(_ command: ReplayCommand, aggregator: inout Aggregator, now: UInt64) -> Bool {
        let before = clock.position
        let backwards = clock.perform(command, nextEventAt: command == .stepOne ? peekTimestamp() : nil)
        lastWall = now
        if backwards || clock.position > before &+ rebuildForwardNanos {
            rebuild(aggregator, at: clock.position)
        } else {
            _ = feed(into: aggregator, upTo: clock.position, budget: seekBudget)
        }
        if clock.position != before { aggregator.tick(now: clock.position) }
        aggregator.showReplay(clock)
        return true
    }

    /// Resets `aggregator` to the nearest keyframe at least a rate window before `position`, then folds up
    /// to `position`, ticking every `warmupStepNanos` of trace time so rates and histories show at once.
    /// At most `seekBudget` records are folded here; the next pumps fold the rest (bounded per tick).
    /// Time arithmetic saturates: timestamps near 2^64 − 1 neither wrap nor loop.
    public func rebuild(_ aggregator: Aggregator, at position: UInt64) {
        aggregator.reset()
        pending = nil
        let from = position - clock.start > warmupNanos ? position - warmupNanos : clock.start
        var budget = seekBudget
        do {
            let (snapshot, offset) = try reader.seek(to: from)
            cursor = reader.makeCursor(from: offset)
            if let snapshot { aggregator.ingest(snapshot: snapshot) }
            lastKeyframe = snapshot
            // Tick only over the last rate window: a file with few keyframes (or odd timestamps)
            // must not turn into millions of ticks.
            var t = max(snapshot?.timestamp ?? clock.start, from)
            while t < position && budget > 0 {
                budget -= feed(into: aggregator, upTo: t, budget: budget)
                aggregator.tick(now: t)
                t = position - t > warmupStepNanos ? t + warmupStepNanos : position
            }
        } catch {
            readError = error.description
            cursor = reader.makeCursor(from: reader.end)
        }
        _ = feed(into: aggregator, upTo: position, budget: max(0, budget))
    }

    /// Feeds records with timestamps ≤ `position`, at most `budget` of them. Returns how many.
    private func feed(into aggregator: Aggregator, upTo position: UInt64, budget: Int) -> Int {
        var n = 0
        while n < budget {
            guard let record = pending ?? nextRecord() else { break }
            if Self.timestamp(of: record) > position {
                pending = record
                break
            }
            pending = nil
            switch record {
            case .event(let e): aggregator.ingest(e)
            case .keyframe(let s):
                aggregator.ingest(snapshot: s)
                lastKeyframe = s
            case .gap(let g): aggregator.ingest(g.event)
            }
            n += 1
        }
        return n
    }

    private func nextRecord() -> TraceRecord? {
        guard readError == nil else { return nil }
        do {
            return try cursor.next()
        } catch {
            readError = error.description
            return nil
        }
    }

    private func peekTimestamp() -> UInt64? {
        if pending == nil { pending = nextRecord() }
        return pending.map(Self.timestamp(of:))
    }

    private static func timestamp(of record: TraceRecord) -> UInt64 {
        switch record {
        case .event(let e): e.timestamp
        case .keyframe(let s): s.timestamp
        case .gap(let g): g.timestamp
        }
    }

    /// Nothing runs in the background: nothing to stop.
    public func stop() {}

    /// The latest keyframe fed (at the end of a clean file: the run's final counters).
    public func snapshot() -> Snapshot? { lastKeyframe }

    /// A read error, else the reader's warning (truncated or corrupt tail).
    public var note: String? { readError ?? reader.summary.warning }

    /// `mode`, `file`, `trace_events`, `truncated`, `position_s`.
    public var summaryFields: [(String, JSONValue)] {
        let s = reader.summary
        return [
            ("mode", .string("replay")), ("file", .string(reader.path)), ("trace_events", .uint(s.events)),
            ("truncated", .bool(s.truncated)), ("position_s", .double(Double(clock.elapsed) / 1e9)),
        ]
    }
}
