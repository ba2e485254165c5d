import Foundation
import Testing
import UMCGEngine
import UMCGTrace

/// An engine published for `umcgtop --attach`, seen from a viewer in the same process through
/// the public API only: the region holds its rings, run info and counters while it runs, and is
/// gone after `stop()`.
@Suite struct PublishedEngineTests {
    static func directory(_ name: String = #function) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "umcgtop-published-\(name.filter { $0.isLetter })-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    static func config(_ directory: String) -> EngineConfiguration {
        var c = EngineConfiguration(
            servers: 2, workers: 4, workload: .mixed, sliceNanos: 5_000_000, backend: .emulated,
            workerStackBytes: 128 << 10
        ).published(ringCapacity: 1 << 12)
        c.publishDirectory = directory
        return c
    }

    @Test func publishedEngineIsSeenByAViewerAndRemovedAtStop() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try Engine(Self.config(dir))
        #expect(engine.isPublished && engine.publishingError == nil)
        try engine.start()
        let path = try #require(engine.publishedPath)
        #expect(FileManager.default.fileExists(atPath: path))
        let pid = getpid()
        let viewer = try AttachedRegion.open(pid: pid, directory: dir)
        #expect(viewer.backendName == "emulated")
        #expect(viewer.targetState == .live)
        let info = try #require(try viewer.readInfo())
        #expect(info.entities.filter { $0.kind == .worker }.map(\.name).sorted() == (0..<4).map { "mixed-\($0)" })
        #expect(info.entities.allSatisfy { $0.tid != 0 })
        #expect(viewer.rings.map(\.label) == ["srv0", "srv1"])
        #expect(viewer.acquireConsumer())
        // Events and counters arrive: wait for switches in both (bounded by the condition, not a timer).
        var switches = 0
        var counted: UInt64 = 0
        let end = Date().addingTimeInterval(20)
        while Date() < end && (switches < 10 || counted < 10) {
            viewer.drain(limit: 4096) { if $0.kind == .switchTo { switches += 1 } }
            viewer.requestSnapshot()
            counted = viewer.latestSnapshot()?.workers.reduce(0) { $0 + $1.switches } ?? 0
            usleep(2_000)
        }
        #expect(switches >= 10)
        #expect(counted >= 10)
        engine.stop()
        #expect(engine.publishedPath == nil)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(viewer.targetState == .closed(exitStatus: nil))
        // The last snapshot, published at stop, has every switch the engine counted.
        let final = try #require(viewer.latestSnapshot())
        #expect(
            final.workers.reduce(0) { $0 + $1.switches } == engine.snapshot().workers.reduce(0) { $0 + $1.switches })
    }

    /// No directory to publish in: the engine runs unpublished (traced in process memory) and says why.
    @Test func publishingFailureDoesNotFailTheEngine() throws {
        var c = Self.config("/nonexistent-umcgtop-dir")
        c.workers = 1
        let engine = try Engine(c)
        #expect(!engine.isPublished)
        let reason = try #require(engine.publishingError)
        #expect(reason.hasPrefix("not published: ") && reason.contains("/nonexistent-umcgtop-dir"))
        #expect(!reason.contains("\n"))
        #expect(engine.configuration.hub != nil && engine.configuration.hub?.region == nil)
        try engine.start()
        #expect(engine.stop())
    }

    /// A second published engine in one process finds the live region of this pid: it runs unpublished.
    @Test func secondPublishedEngineInOneProcessRunsUnpublished() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = Self.config(dir)
        c.workers = 1
        let first = try Engine(c)
        let second = try Engine(c)
        #expect(first.isPublished && !second.isPublished)
        #expect(second.publishingError?.contains("already publishes") == true)
        first.stop()
        second.stop()
    }
}
