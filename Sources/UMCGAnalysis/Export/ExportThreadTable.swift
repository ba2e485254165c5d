import UMCGTrace

/// A worker as an exported thread: a stable pid and a display name.
public struct ExportThread: Sendable, Equatable {
    /// The thread id shown in Perfetto / Chrome (the worker's tid, or a synthetic one).
    public var pid: Int32
    /// The worker's entity name.
    public var name: String
}

/// Maps the trace's dense worker and server ids to exported threads and lane names.
///
/// Workers keep their OS tid from the entity table; a worker with tid 0 (unknown) or a
/// tid already taken gets `syntheticPidBase + id`, above Linux's largest pid (2^22),
/// so synthetic pids never collide with real ones. Workers that appear only in events
/// are added on first sight, up to `maxExtraWorkers`; beyond that they still get a
/// stable synthetic pid, just no table entry.
public struct ExportThreadTable: Sendable {
    /// The pid of the exported "umcgtop" process (synthetic: the trace does not record it).
    public static let processPid: Int32 = 5_000_000
    /// First synthetic worker pid.
    public static let syntheticPidBase: Int32 = 5_000_001
    /// Largest number of workers added from events rather than the entity table.
    public static let maxExtraWorkers = 65_536

    private var workers: [UInt32: ExportThread] = [:]
    private var serverNames: [UInt16: String] = [:]
    private var usedPids: Set<Int32> = []
    private var extraWorkers = 0

    /// Workers from the entity table, in table order.
    public private(set) var tableWorkers: [UInt32] = []

    /// Builds the table from the trace header's entities.
    public init(info: RunInfo) {
        for entity in info.entities {
            switch entity.kind {
            case .server:
                if entity.id <= UInt32(UInt16.max) { serverNames[UInt16(entity.id)] = entity.name }
            case .worker:
                guard workers[entity.id] == nil else { continue }
                let pid = entity.tid > 0 && !usedPids.contains(entity.tid) ? entity.tid : Self.syntheticPid(entity.id)
                usedPids.insert(pid)
                workers[entity.id] = ExportThread(
                    pid: pid, name: entity.name.isEmpty ? "worker-\(entity.id)" : entity.name)
                tableWorkers.append(entity.id)
            }
        }
    }

    /// The synthetic pid of worker `id`.
    public static func syntheticPid(_ id: UInt32) -> Int32 {
        syntheticPidBase + Int32(id % 1_000_000_000)
    }

    /// The exported thread of worker `id`; `isNew` when this call added it to the table.
    public mutating func worker(_ id: UInt32) -> (thread: ExportThread, isNew: Bool) {
        if let known = workers[id] { return (known, false) }
        let thread = ExportThread(pid: Self.syntheticPid(id), name: "worker-\(id)")
        guard extraWorkers < Self.maxExtraWorkers else { return (thread, false) }
        extraWorkers += 1
        workers[id] = thread
        return (thread, true)
    }

    /// The exported thread of worker `id` without adding it.
    public func lookup(_ id: UInt32) -> ExportThread {
        workers[id] ?? ExportThread(pid: Self.syntheticPid(id), name: "worker-\(id)")
    }

    /// The name of server `id` ("srv0"), or "server-N" when the table lacks it.
    public func serverName(_ id: UInt16) -> String {
        serverNames[id] ?? "server-\(id)"
    }

    /// Server ids named in the entity table, ascending.
    public var tableServers: [UInt16] { serverNames.keys.sorted() }
}
