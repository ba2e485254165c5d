import UMCGSystem

/// One process's region as `umcgtop ps` lists it.
public struct RegionListing: Sendable, Equatable {
    /// The publishing process.
    public var pid: Int32
    /// Its command name ("" when the region could not be read).
    public var command: String
    /// Its backend name.
    public var backend: String
    /// Servers in its run info.
    public var servers: Int
    /// Workers in its run info.
    public var workers: Int
    /// Events pushed into its rings so far.
    public var eventsPublished: UInt64
    /// Viewers attached now.
    public var viewers: Int
    /// How it is doing (nil when the region could not be read).
    public var state: AttachedRegion.TargetState?
    /// The uid owning the region file (nil when unknown).
    public var ownerUID: UInt32?
    /// Why it cannot be attached (another user, invalid region), nil when it can.
    public var problem: String?
}

/// The regions of a directory, for `umcgtop ps`.
public enum RegionDirectory {
    /// Removes our stale regions, then lists every `umcgtop.<pid>` region in `directory` by pid;
    /// unreadable, foreign or invalid ones are listed with a `problem`.
    public static func list(directory: String = "/dev/shm") -> [RegionListing] {
        PublishedRegion.removeStale(directory: directory)
        guard let dir = try? FileDescriptor.openDirectory(directory) else { return [] }
        let names = (try? dir.directoryEntries()) ?? []
        try? dir.close()
        let pids = names.compactMap(RegionStaleness.pid(fileName:)).sorted()
        return pids.map { listing(pid: $0, directory: directory) }
    }

    /// What process `pid`'s region in `directory` says.
    static func listing(pid: Int32, directory: String) -> RegionListing {
        let owner = try? FilePath.ownerUID(PublishedRegion.path(pid: pid, directory: directory))
        var listing = RegionListing(
            pid: pid, command: "", backend: "", servers: 0, workers: 0, eventsPublished: 0, viewers: 0, state: nil,
            ownerUID: owner, problem: nil)
        do throws(SharedRegionError) {
            let region = try AttachedRegion(pid: pid, directory: directory)
            listing.command = region.commandName
            listing.backend = region.backendName
            listing.viewers = region.viewerCount
            listing.state = region.targetState
            listing.eventsPublished = region.eventsPublished
            if let info = try region.readInfo() {
                listing.servers = info.entities.filter { $0.kind == .server }.count
                listing.workers = info.entities.filter { $0.kind == .worker }.count
            }
        } catch {
            listing.problem = error.message
        }
        return listing
    }
}
