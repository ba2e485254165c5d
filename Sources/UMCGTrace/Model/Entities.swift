/// What an entity of the trace is.
public enum EntityKind: UInt8, Sendable, CaseIterable {
    case server = 1
    case worker = 2
}

/// A server or worker as named in the trace header and on the dashboard.
public struct Entity: Sendable, Equatable, Hashable {
    /// Server or worker.
    public var kind: EntityKind
    /// Dense id: the `server` / `worker` field of events.
    public var id: UInt32
    /// Human-readable name ("srv0", "mixed-3").
    public var name: String
    /// The OS thread id, 0 if unknown.
    public var tid: Int32

    /// Creates an entity.
    public init(kind: EntityKind, id: UInt32, name: String, tid: Int32 = 0) {
        self.kind = kind
        self.id = id
        self.name = name
        self.tid = tid
    }
}

/// Which ping-pong a baseline measures. Frozen raw values.
public enum BaselineMethod: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case futex = 1
    case condvar = 2
    case umcg = 3

    public var description: String {
        switch self {
        case .futex: "futex"
        case .condvar: "condvar"
        case .umcg: "umcg"
        }
    }
}

/// Facts about the run that produced events: the trace header and the dashboard's status line.
public struct RunInfo: Sendable, Equatable {
    /// "emulated" or "kernel".
    public var backend: String
    /// Why that backend was chosen.
    public var backendReason: String
    /// `uname -sr`, e.g. "Linux 6.18.44".
    public var kernel: String
    /// Host name.
    public var hostname: String
    /// Online CPUs.
    public var cpus: UInt32
    /// Scenario description, e.g. "mixed servers=2 workers=8".
    public var scenario: String
    /// CLOCK_REALTIME ns at the moment `monotonicAnchorNs` was read.
    public var wallClockAnchorNs: UInt64
    /// CLOCK_MONOTONIC ns matching `wallClockAnchorNs`.
    public var monotonicAnchorNs: UInt64
    /// Servers and workers.
    public var entities: [Entity]

    /// Creates run facts.
    public init(
        backend: String, backendReason: String, kernel: String, hostname: String, cpus: UInt32,
        scenario: String, wallClockAnchorNs: UInt64, monotonicAnchorNs: UInt64, entities: [Entity]
    ) {
        self.backend = backend
        self.backendReason = backendReason
        self.kernel = kernel
        self.hostname = hostname
        self.cpus = cpus
        self.scenario = scenario
        self.wallClockAnchorNs = wallClockAnchorNs
        self.monotonicAnchorNs = monotonicAnchorNs
        self.entities = entities
    }
}
