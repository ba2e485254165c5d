import Foundation
import Testing
import UMCGSystem

@testable import UMCGTrace

/// A target that truncates its region file while a viewer has it mapped: the viewer's reads of
/// the pages past the new end would raise SIGBUS; the region guard turns them into zeros and the
/// viewer reports "truncated" as a one-line error, never dies and never passes on what it read
/// after the fault.
@Suite struct TruncatedRegionTests {
    /// Publishes a region with info, a snapshot and events in ring 0, opens it as a viewer,
    /// truncates the file to `fraction` of its size, then does everything a viewer does.
    func check(truncatingTo fraction: Double, name: String = #function) throws {
        let dir = RegionFixture.directory(name)
        let copyDir = RegionFixture.directory(name + "copy")
        defer {
            RegionFixture.remove(dir)
            RegionFixture.remove(copyDir)
        }
        let published = try PublishedRegion.create(RegionFixture.options(dir))
        defer { published.close(exitStatus: nil) }
        let ring = try #require(published.makeRing(label: "srv0", tid: 7))
        for e in Fixture.events(count: 20, seed: 5, workers: 2) { ring.push(e) }
        #expect(published.publish(info: Fixture.info(servers: 2, workers: 2)))
        #expect(published.publish(snapshot: Fixture.snapshot(at: 100, servers: 2, workers: 2)))
        // The viewer maps a copy, which the test truncates: truncating the publisher's own file would
        // fault the publisher's writes too (this process is both), and those are not the guard's business.
        let bytes = try #require(FileManager.default.contents(atPath: published.path))
        let copy = PublishedRegion.path(pid: RegionFixture.pid, directory: copyDir)
        let fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: copyDir)
        #expect(viewer.truncation == nil)
        #expect(try viewer.readInfo() != nil)
        #expect(Glibc.truncate(copy, off_t(Double(bytes.count) * fraction)) == 0)

        // Every read: no crash; an error, nil, a state or nothing drained, never bytes read after the fault.
        do {
            _ = try viewer.readInfo()
            Issue.record("readInfo of a truncated region returned")
        } catch {
            #expect(error.kind == .truncated)
            #expect(
                error.description == "region of process \(RegionFixture.pid) was truncated (hostile or broken target)")
        }
        #expect(viewer.latestSnapshot() == nil)
        #expect(viewer.targetState == .truncated)
        #expect(viewer.targetState.description == "truncated")
        var events: [TraceEvent] = []
        _ = viewer.drain { events.append($0) }
        #expect(events.isEmpty)
        #expect(viewer.rings.isEmpty)
        _ = viewer.viewerCount
        _ = viewer.consumerPID
        viewer.requestSnapshot()
        #expect(viewer.truncation?.kind == .truncated)
        viewer.detach()
    }

    @Test func truncatedToZero() throws { try check(truncatingTo: 0) }

    @Test func truncatedToHalf() throws { try check(truncatingTo: 0.5) }

    /// A SIGBUS outside every registered region still kills the process (the guard chains to the
    /// previous handler or the default action): a truncated file mapped but not registered. (The
    /// default action kills with SIGBUS; under AddressSanitizer the previous handler is ASan's,
    /// which reports the fault and exits 1: either way the process dies.)
    @Test func faultsOutsideRegionsStillKill() async {
        await #expect(processExitsWith: .failure) {
            try RegionGuard.install()
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("umcgtop-guard-\(getpid())").path
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
            unlink(path)
            #expect(ftruncate(fd, 4096) == 0)
            let p = try #require(mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
            #expect(RegionGuard.isInstalled)
            #expect(ftruncate(fd, 0) == 0)
            _ = p.load(as: UInt8.self)
        }
    }
}
