import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// `AttachSource` against a region this test publishes itself (in a private directory): events,
/// snapshots, late entities, the lease, the target's exit and the recording.
@Suite struct AppAttachSourceTests {
    /// A published region for this process with the fixture's entities, one ring and a snapshot.
    struct Target {
        let directory: String
        let region: PublishedRegion
        let ring: TraceRing

        init(_ name: String = #function) throws {
            let safe = name.filter { $0.isLetter || $0.isNumber }
            directory = "/tmp/umcgtop-attach-\(getpid())-\(safe)-\(UInt32.random(in: 0...UInt32.max))"
            mkdir(directory, 0o700)
            region = try PublishedRegion.create(
                .init(
                    ringCount: 2, ringCapacity: 1024, infoBytes: 16 << 10, snapshotBytes: 16 << 10,
                    directory: directory, backend: "emulated"))
            ring = try #require(region.makeRing(label: "srv0", tid: 1))
            region.publish(info: ModelFixtures.info(servers: 1, workers: 2))
            region.publish(snapshot: Self.snapshot(switches: 10))
        }

        static func snapshot(switches: UInt64) -> Snapshot {
            var w0 = WorkerCounters(id: 0, state: .running, server: 0)
            w0.switches = switches
            let w1 = WorkerCounters(id: 1, state: .runnable)
            return Snapshot(
                timestamp: SystemClock.monotonicNanos(), servers: [ServerCounters(id: 0, state: .running)],
                workers: [w0, w1])
        }

        func push(_ n: Int, worker: UInt32 = 0) {
            let t = SystemClock.monotonicNanos()
            for i in 0..<n {
                ring.push(TraceEvent(timestamp: t + UInt64(i), kind: .switchTo, server: 0, worker: worker, cpu: 0))
            }
        }

        func remove() {
            region.close(exitStatus: nil)
            rmdir(directory)
        }
    }

    /// Pumps (the pump thread drains the region every 2 ms) until `count` events were folded or
    /// 30 s passed; returns how many were.
    func fold(_ source: AttachSource, _ agg: inout Aggregator, until count: Int) -> Int {
        var folded = 0
        _ = EndToEnd.wait(timeout: 30) {
            folded += source.pump(into: &agg, budget: 1_000, now: SystemClock.monotonicNanos())
            return folded >= count
        }
        return folded
    }

    func attach(_ target: Target, record: String? = nil) throws -> AttachSource {
        let source = try AttachSource(pid: getpid(), directory: target.directory, recordPath: record)
        source.infoIntervalNanos = 0
        source.snapshotIntervalNanos = 0
        return source
    }

    @Test func eventsAndTheSnapshotAreFoldedAndTheNameIsTheTargets() throws {
        let target = try Target()
        defer { target.remove() }
        target.push(100)
        let source = try attach(target)
        #expect(source.pid == getpid())
        #expect(source.info.entities.map(\.name) == ["srv0", "pingpong-0", "mixed-1"])
        var agg = Aggregator(
            info: source.info, mode: .attached(pid: source.pid, command: source.commandName),
            options: DashboardOptions(refreshMillis: 250))
        #expect(fold(source, &agg, until: 100) == 100)
        #expect(source.eventsReceived == 100)
        #expect(source.isConsumer)
        #expect(source.note == nil)
        agg.tick(now: SystemClock.monotonicNanos())
        #expect(agg.model.status.eventsTotal >= 100)
        #expect(source.snapshot()?.workers.first?.switches == 10)
        #expect(!source.finished)
        source.stop()
    }

    /// From the first `pump(into:)` on, the pump thread folds what it drains into the aggregator
    /// itself: later events reach the fold with no call from the UI thread, whatever its budget,
    /// and nothing goes through the tap.
    @Test func thePumpFoldsIntoTheAggregatorAfterTheFirstTick() throws {
        let target = try Target()
        defer { target.remove() }
        target.push(50)
        let source = try attach(target)
        var agg = Aggregator(
            info: source.info, mode: .attached(pid: source.pid, command: source.commandName),
            options: DashboardOptions(refreshMillis: 250))
        #expect(fold(source, &agg, until: 50) == 50)
        target.push(70)
        // No pump(into:) meanwhile: the pump thread folds the 70 on its own.
        #expect(EndToEnd.wait(timeout: 30) { agg.latestTraceTime > 0 && agg.fold.eventsTotal >= 120 })
        #expect(source.pump(into: &agg, budget: 0, now: SystemClock.monotonicNanos()) == 70)
        #expect(source.eventsReceived == 120)
        let fields = Dictionary(uniqueKeysWithValues: source.summaryFields)
        #expect(fields["dropped_by_viewer"] == .uint(0))
        agg.tick(now: SystemClock.monotonicNanos())
        #expect(agg.model.status.eventsTotal == 120)
        source.stop()
    }

    @Test func lateEntitiesGetRowsAndTheExitIsShownThenFinishes() throws {
        let target = try Target()
        defer { target.remove() }
        let source = try attach(target)
        var agg = Aggregator(
            info: source.info, mode: .attached(pid: source.pid, command: source.commandName),
            options: DashboardOptions(refreshMillis: 250))
        var info = ModelFixtures.info(servers: 1, workers: 2)
        info.entities.append(Entity(kind: .worker, id: 7, name: "late-7", tid: 77))
        info.entities.append(Entity(kind: .server, id: 1, name: "late-srv1", tid: 78))
        target.region.publish(info: info)
        _ = source.pump(into: &agg, budget: 1_000, now: SystemClock.monotonicNanos())
        #expect(agg.model.worker(7)?.name == "late-7")
        #expect(agg.model.servers.map(\.name) == ["srv0", "late-srv1"])
        #expect(source.info.entities.contains { $0.name == "late-7" })
        target.push(5)
        target.region.publish(snapshot: Target.snapshot(switches: 20))
        target.region.close(exitStatus: 3)
        // What the target left in its rings still arrives, then the source is finished.
        var folded = 0
        let finished = EndToEnd.wait(timeout: 30) {
            folded += source.pump(into: &agg, budget: 1_000, now: SystemClock.monotonicNanos())
            return source.finished
        }
        #expect(finished)
        #expect(folded == 5)
        #expect(source.targetEnded == "exited (exit status 3)")
        #expect(agg.model.status.targetEnded == "exited (exit status 3)")
        #expect(source.targetExitStatus == 3)
        #expect(source.snapshot()?.workers.first?.switches == 20)
        // The view keeps its rows.
        #expect(agg.model.workers.map(\.name) == ["pingpong-0", "mixed-1", "late-7"])
        source.stop()
    }

    @Test func recordingWritesWhatArrivesThroughThePump() throws {
        let target = try Target()
        defer { target.remove() }
        let path = "/tmp/umcgtop-attach-rec-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).umcgtrace"
        defer { unlink(path) }
        target.push(50)
        let source = try attach(target, record: path)
        var agg = Aggregator(
            info: source.info, mode: .attached(pid: source.pid, command: source.commandName),
            options: DashboardOptions(refreshMillis: 250))
        #expect(fold(source, &agg, until: 50) == 50)
        #expect(agg.model.status.recordingPath == path)
        source.stop()
        let reader = try TraceReader.open(path: path)
        #expect(reader.summary.cleanEnd)
        #expect(reader.summary.events == 50)
        #expect(reader.summary.keyframes >= 1)
        #expect(reader.info.entities.map(\.name) == ["srv0", "pingpong-0", "mixed-1"])
    }

    @Test func stopGivesBackTheViewerSlotAndTheLease() throws {
        let target = try Target()
        defer { target.remove() }
        let source = try attach(target)
        var agg = Aggregator(
            info: source.info, mode: .attached(pid: source.pid, command: source.commandName),
            options: DashboardOptions(refreshMillis: 250))
        target.push(1)
        #expect(fold(source, &agg, until: 1) == 1)
        #expect(target.region.viewerCount == 1)
        let holding = try AttachedRegion.open(pid: getpid(), directory: target.directory)
        #expect(holding.consumerPID == getpid())
        holding.detach()
        source.stop()
        #expect(target.region.viewerCount == 0)
        let after = try AttachedRegion.open(pid: getpid(), directory: target.directory)
        #expect(after.consumerPID == nil)
        after.detach()
    }

    @Test func noRegionIsAOneLineErrorWithExit66() throws {
        let directory = "/tmp/umcgtop-attach-none-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect {
            _ = try AttachSource(pid: getpid(), directory: directory)
        } throws: { error in
            (error as? SharedRegionError).map { SourceFactory.exitCode($0) == 66 && $0.kind == .notFound } ?? false
        }
    }

    /// A target that truncates its region while watched: the view ends saying so, and the run's exit
    /// status is 65 (invalid data), not 0 as for a target that exited.
    @Test func aRegionTruncatedWhileWatchedEndsTheViewWithStatus65() throws {
        let target = try Target()
        defer { target.remove() }
        target.push(10)
        // The viewer maps a copy, which the test truncates (truncating the file this process also
        // publishes into would fault the publisher's own writes).
        let copyDirectory = target.directory + "-copy"
        mkdir(copyDirectory, 0o700)
        defer { rmdir(copyDirectory) }
        let bytes = try #require(FileManager.default.contents(atPath: target.region.path))
        let copy = PublishedRegion.path(pid: getpid(), directory: copyDirectory)
        let fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
        defer { unlink(copy) }
        let source = try AttachSource(pid: getpid(), directory: copyDirectory, recordPath: nil)
        source.infoIntervalNanos = 0
        source.snapshotIntervalNanos = 0
        var agg = Aggregator(
            info: source.info, mode: .attached(pid: source.pid, command: source.commandName),
            options: DashboardOptions(refreshMillis: 250))
        #expect(fold(source, &agg, until: 10) == 10)
        #expect(source.failureStatus == nil)
        #expect(truncate(copy, off_t(bytes.count / 2)) == 0)
        let finished = EndToEnd.wait(timeout: 30) {
            _ = source.pump(into: &agg, budget: 1_000, now: SystemClock.monotonicNanos())
            return source.finished
        }
        #expect(finished)
        #expect(source.failureStatus == 65)
        #expect(agg.model.status.targetEnded == "region truncated (hostile or broken target)")
        source.stop()
    }
}
