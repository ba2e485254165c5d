/// One item read from a trace file, in file order.
public enum TraceRecord: Sendable, Equatable {
    /// An event as a producer pushed it.
    case event(TraceEvent)
    /// A full snapshot (every entity's state and counters) taken at its timestamp.
    case keyframe(Snapshot)
    /// Events were lost here; the workers it concerns are "unknown" until the next keyframe.
    case gap(TraceGap)
}

/// Events lost before they reached the file (a full ring), at one place in the stream.
public struct TraceGap: Sendable, Equatable {
    /// Timestamp of the first lost event (CLOCK_MONOTONIC ns).
    public var timestamp: UInt64
    /// How many events were lost.
    public var count: UInt64
    /// The server all lost events concerned, or `TraceEvent.noServer` (several or unknown).
    public var server: UInt16
    /// The worker all lost events concerned, or `TraceEvent.noWorker` (several or unknown: treat all as unknown).
    public var worker: UInt32
    /// The CPU all lost events came from, or `TraceEvent.noCPU`.
    public var cpu: UInt16

    /// Creates a gap.
    public init(timestamp: UInt64, count: UInt64, server: UInt16, worker: UInt32, cpu: UInt16) {
        self.timestamp = timestamp
        self.count = count
        self.server = server
        self.worker = worker
        self.cpu = cpu
    }

    /// The gap as the ring's `.dropped` marker event.
    public var event: TraceEvent {
        TraceEvent(timestamp: timestamp, kind: .dropped, server: server, worker: worker, cpu: cpu, arg: count)
    }
}

/// A place in a trace file to read from: the byte offset of a record.
public struct TracePosition: Sendable, Equatable, Comparable, Hashable {
    /// Byte offset of the record in the file.
    public var offset: Int

    /// Creates a position (use the reader's `start` or a position it returned).
    public init(offset: Int) { self.offset = offset }

    public static func < (a: TracePosition, b: TracePosition) -> Bool { a.offset < b.offset }
}

/// What a reader learned by scanning a file at open.
public struct TraceSummary: Sendable, Equatable {
    /// The file's format version.
    public var formatVersion: UInt16
    /// Events in the readable records (gap entries excluded).
    public var events: UInt64
    /// Gap entries.
    public var gaps: UInt64
    /// Events lost before reaching the file (sum of the gaps).
    public var dropped: UInt64
    /// Event chunks.
    public var chunks: Int
    /// Keyframes.
    public var keyframes: Int
    /// File size in bytes.
    public var bytes: UInt64
    /// Bytes up to the end of the last good record (the readable part).
    public var readableBytes: UInt64
    /// Smallest timestamp of any record, nil when there is none.
    public var firstTimestamp: UInt64?
    /// Largest timestamp of any record, nil when there is none.
    public var lastTimestamp: UInt64?
    /// True when the file ends with a valid end record.
    public var cleanEnd: Bool
    /// True when the file stops before its end record (cut short or corrupt tail).
    public var truncated: Bool
    /// Bytes after the last good record that cannot be read.
    public var lostBytes: UInt64
    /// Offset of a corrupt record, when the readable part ends at one.
    public var corruptOffset: Int?
    /// One line saying what was lost and why, nil for a clean file.
    public var warning: String?

    /// Nanoseconds from the first to the last timestamp.
    public var durationNanos: UInt64 {
        guard let first = firstTimestamp, let last = lastTimestamp, last >= first else { return 0 }
        return last - first
    }

    /// `durationNanos` in seconds.
    public var duration: Double { Double(durationNanos) / 1e9 }
}
