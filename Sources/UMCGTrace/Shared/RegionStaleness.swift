import UMCGSystem

/// Which region files belong to processes that are gone.
enum RegionStaleness {
    /// What the first bytes of a region file say about its owner (nil: not a readable region header).
    struct Owner: Equatable {
        var pid: Int32
        var startTime: UInt64
    }

    /// Reads the pid and start time from the header of the region file at `path` (pread, no mapping).
    static func owner(_ path: String) -> Owner? {
        guard let fd = try? FileDescriptor.openForReading(path, nonBlocking: true) else { return nil }
        defer { try? fd.close() }
        var header = [UInt8](repeating: 0, count: 64)
        let n = header.withUnsafeMutableBytes { raw in (try? fd.read(at: 0, into: raw)) ?? 0 }
        guard n >= 48 else { return nil }
        let memory = header.withUnsafeMutableBytes { raw -> Owner? in
            guard let base = raw.baseAddress else { return nil }
            let m = RegionMemory(base: base, size: raw.count)
            guard m.u64(RegionLayout.magicOffset) == RegionLayout.magic else { return nil }
            return Owner(pid: m.i32(RegionLayout.pidOffset), startTime: m.u64(RegionLayout.startTimeOffset))
        }
        return memory
    }

    /// Whether `owner` is a process alive now (same pid and same start time).
    static func isAlive(_ owner: Owner) -> Bool {
        guard let now = ProcessIdentity.startTime(of: owner.pid) else { return false }
        return owner.startTime == 0 || now == owner.startTime
    }

    /// Whether the region file at `path` names this process as its live owner.
    static func isLiveRegionOfThisProcess(_ path: String) -> Bool {
        guard let owner = owner(path) else { return false }
        return owner.pid == ProcessIdentity.id && isAlive(owner)
    }

    /// Whether the region file at `path` (named for `pid`) is stale: a header naming a process
    /// that is gone, or no valid header while process `pid` is gone.
    static func isStale(_ path: String, pid: Int32) -> Bool {
        if let owner = owner(path) { return !isAlive(owner) }
        return !ProcessIdentity.isAlive(pid)
    }

    /// The pid in a region file name ("umcgtop.123" → 123).
    static func pid(fileName: String) -> Int32? {
        guard fileName.hasPrefix(RegionLayout.filePrefix) else { return nil }
        guard let pid = Int32(fileName.dropFirst(RegionLayout.filePrefix.count)), pid > 0 else { return nil }
        return pid
    }

    /// Removes stale region files owned by our euid in `directory`; returns how many.
    static func removeStale(directory: String) -> Int {
        guard let dir = try? FileDescriptor.openDirectory(directory) else { return 0 }
        let names = (try? dir.directoryEntries()) ?? []
        try? dir.close()
        var removed = 0
        for name in names {
            guard let pid = pid(fileName: name) else { continue }
            let path = "\(directory)/\(name)"
            guard isOwnedByUs(path), isStale(path, pid: pid) else { continue }
            if (try? FilePath.remove(path)) != nil { removed += 1 }
        }
        return removed
    }

    /// Whether the file at `path` belongs to our effective uid.
    static func isOwnedByUs(_ path: String) -> Bool {
        guard let fd = try? FileDescriptor.openForReading(path, nonBlocking: true) else { return false }
        defer { try? fd.close() }
        return (try? fd.ownerUID()) == ProcessIdentity.effectiveUserID
    }
}
