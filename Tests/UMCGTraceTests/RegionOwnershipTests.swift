import Foundation
import Testing
import UMCGSystem

@testable import UMCGTrace

/// Stale regions (their process gone, or their pid now another process) are removed by the next
/// creation and by listing; another user's region is refused unless we have CAP_SYS_PTRACE.
@Suite struct RegionOwnershipTests {
    /// The pid of a process that has exited (and been reaped). Started with our own posix_spawn
    /// wrapper: Foundation's `Process` keeps a weak-reference side table LeakSanitizer sometimes
    /// reports as leaked, and this suite runs under AddressSanitizer in CI.
    static func deadPID() throws -> Int32 {
        let child = try ChildProcess(path: "/bin/true", arguments: ["true"], environment: [])
        #expect(child.wait() == .exited(0))
        return child.pid
    }

    /// A valid region image rewritten to name `pid` (and `startTime`).
    static func image(pid: Int32, startTime: UInt64? = nil) throws -> [UInt8] {
        var b = try HostileRegionTests.validImage()
        HostileRegionTests.set32(&b, RegionLayout.pidOffset, UInt32(bitPattern: pid))
        if let startTime { HostileRegionTests.set64(&b, RegionLayout.startTimeOffset, startTime) }
        return b
    }

    @Test func staleRegionOfADeadProcessIsRemovedByListing() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let dead = try Self.deadPID()
        #expect(!ProcessIdentity.isAlive(dead))
        let stale = PublishedRegion.path(pid: dead, directory: dir)
        try Data(try Self.image(pid: dead)).write(to: URL(fileURLWithPath: stale))
        // A live one (pid 1 is alive; its start time as /proc says) stays, and so does a foreign file name.
        let live = PublishedRegion.path(pid: 1, directory: dir)
        try Data(try Self.image(pid: 1, startTime: ProcessIdentity.startTime(of: 1))).write(
            to: URL(fileURLWithPath: live))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(dir)/other-file"))
        let listed = RegionDirectory.list(directory: dir)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/other-file"))
        #expect(listed.map(\.pid) == [1])
        #expect(listed.first?.command == ProcessIdentity.commandName)
        #expect(listed.first?.servers == 2 && listed.first?.workers == 2)
        #expect(listed.first?.problem == nil)
        #expect(PublishedRegion.removeStale(directory: dir) == 0)
    }

    @Test func staleRegionOfOurPidFromAnEarlierProcessIsReplacedByCreate() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let path = PublishedRegion.path(pid: RegionFixture.pid, directory: dir)
        // Our pid, but another start time: a crashed process that had our pid before us.
        try Data(try Self.image(pid: RegionFixture.pid, startTime: 12_345)).write(to: URL(fileURLWithPath: path))
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(viewer.generation == region.generation)
        #expect(viewer.targetState == .live)
        region.close(exitStatus: nil)
    }

    @Test func listingShowsAnInvalidRegionWithItsProblem() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        var b = try Self.image(pid: 1, startTime: ProcessIdentity.startTime(of: 1))
        HostileRegionTests.set32(&b, RegionLayout.versionOffset, 9)
        try Data(b).write(to: URL(fileURLWithPath: PublishedRegion.path(pid: 1, directory: dir)))
        let listed = RegionDirectory.list(directory: dir)
        #expect(listed.count == 1)
        #expect(listed.first?.problem?.contains("layout version 9") == true)
        #expect(listed.first?.problem?.contains("\n") == false)
    }

    /// A region whose process died without closing it reads as gone ("exited").
    @Test func deadTargetReadsAsGone() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let dead = try Self.deadPID()
        try Data(try Self.image(pid: dead)).write(
            to: URL(fileURLWithPath: PublishedRegion.path(pid: dead, directory: dir)))
        let viewer = try AttachedRegion.open(pid: dead, directory: dir)
        #expect(viewer.targetState == .gone)
        #expect(viewer.targetState.description == "exited")
    }

    @Test func permissionDecision() {
        #expect(
            AttachPolicy.refusal(pid: 123, ownerUID: 65534, viewerUID: 1000, capabilities: 0)
                == "process 123 belongs to uid 65534, not you (uid 1000); attaching needs the same user or CAP_SYS_PTRACE"
        )
        #expect(AttachPolicy.refusal(pid: 123, ownerUID: 1000, viewerUID: 1000, capabilities: 0) == nil)
        #expect(AttachPolicy.refusal(pid: 123, ownerUID: 65534, viewerUID: 1000, capabilities: 1 << 19) == nil)
        #expect(
            AttachPolicy.refusal(pid: 123, ownerUID: 65534, viewerUID: 0, capabilities: (1 << 19) - 1) != nil)
        #expect(ProcessIdentity.parseEffectiveCapabilities("Name:\tx\nCapEff:\t000001ffffffffff\n") == 0x1ff_ffff_ffff)
        #expect(ProcessIdentity.parseEffectiveCapabilities("Name:\tx\n") == 0)
    }

    @Test func procStatStartTimeParsesNamesWithSpacesAndParentheses() {
        let line = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615"
        #expect(ProcessIdentity.parseStartTime(Array(line.utf8)) == 987_654)
        #expect(ProcessIdentity.parseStartTime(Array("garbage".utf8)) == nil)
        #expect(ProcessIdentity.startTime(of: ProcessIdentity.id) != nil)
    }

    /// A region file owned by another uid (chowned to 65534): we attach only because we hold CAP_SYS_PTRACE.
    @Test(
        .enabled(if: ProcessIdentity.effectiveUserID == 0, "needs root to chown the region file"))
    func foreignRegionNeedsCapSysPtrace() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        defer { region.close(exitStatus: nil) }
        let fd = try FileDescriptor.openReadWrite(region.path)
        try fd.changeOwner(uid: 65534, gid: 65534)
        try fd.close()
        let hasPtrace = ProcessIdentity.effectiveCapabilities & ProcessIdentity.capSysPtrace != 0
        do {
            let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
            #expect(hasPtrace)
            #expect(viewer.ownerUID == 65534)
        } catch {
            #expect(!hasPtrace)
            #expect(error.kind == .permission)
        }
    }
}

@Suite struct RegionSymlinkTests {
    /// /dev/shm is writable by everyone: a symbolic link named like a region is refused, not followed.
    @Test func symbolicLinkIsRefused() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let target = "\(dir)/real"
        try Data(try HostileRegionTests.validImage()).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(
            atPath: PublishedRegion.path(pid: RegionFixture.pid, directory: dir), withDestinationPath: target)
        do {
            _ = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
            Issue.record("a symbolic link was followed")
        } catch {
            #expect(error.kind == .invalid && error.description.contains("symbolic link"))
        }
    }
}
