import Foundation
import Synchronization
import Testing
import UMCGSystem

@testable import UMCGTrace

@Suite struct RegionRoundTripTests {
    /// create → makeRing → push → open → drain gives the same events; info and snapshot round trip.
    @Test func eventsInfoAndSnapshotRoundTrip() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        #expect(region.path == "\(dir)/umcgtop.\(RegionFixture.pid)")
        let ring = try #require(region.makeRing(label: "srv0", tid: 42))
        let events = Fixture.events(count: 40, seed: 7)
        for e in events { #expect(ring.push(e)) }
        let info = Fixture.info()
        let snapshot = Fixture.snapshot(at: 5_000, servers: 2, workers: 8)
        #expect(region.publish(info: info))
        #expect(region.publish(snapshot: snapshot))

        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(viewer.generation == region.generation && viewer.generation != 0)
        #expect(viewer.backendName == "emulated")
        #expect(viewer.commandName == ProcessIdentity.commandName)
        #expect(viewer.targetState == .live)
        #expect(viewer.viewerCount == 1 && region.viewerCount == 1)
        #expect(try viewer.readInfo() == info)
        #expect(viewer.latestSnapshot() == snapshot)
        #expect(viewer.acquireConsumer())
        var seen: [TraceEvent] = []
        #expect(viewer.drain(limit: .max) { seen.append($0) } == events.count)
        #expect(seen == events)
        #expect(ring.count == 0)
        #expect(viewer.rings.map(\.label) == ["srv0"] && viewer.rings.first?.tid == 42)
        #expect(viewer.eventsPublished == UInt64(events.count))

        // A second snapshot goes to the other buffer and is the latest.
        let later = Fixture.snapshot(at: 9_000, servers: 2, workers: 8, seed: 3)
        #expect(region.publish(snapshot: later))
        #expect(viewer.latestSnapshot() == later)

        // A viewer killed without detaching leaves its pid in its slot: not counted (no such pid:
        // above the kernel's pid_max limit of 2^22).
        let deadSlot =
            RegionLayout.viewerSlotsOffset + RegionLayout.viewerSlotBytes * (RegionLayout.viewerSlotCount - 1)
        region.memory.atomic32(deadSlot).pointee.store(5_000_000, ordering: .relaxed)
        #expect(viewer.viewerCount == 1 && region.viewerCount == 1)
        viewer.detach()
        #expect(region.viewerCount == 0)
        region.close(exitStatus: 3)
        #expect(viewer.targetState == .closed(exitStatus: 3))
        #expect(!FileManager.default.fileExists(atPath: region.path))
    }

    /// A full directory gives nil (counted), and the hub falls back to a private ring.
    @Test func fullDirectoryFallsBackToPrivateRing() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir, rings: 1))
        let hub = TraceHub(region: region)
        let a = hub.makeRing(label: "a")
        let b = hub.makeRing(label: "b")
        #expect(hub.allRings.count == 2 && region.ringCount == 1)
        #expect(a.capacity == 64 && b.capacity == 64)
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(viewer.ringsExhausted == 1)
        a.push(TraceEvent(timestamp: 1, kind: .wake, worker: 1))
        b.push(TraceEvent(timestamp: 2, kind: .wake, worker: 2))
        var seen: [TraceEvent] = []
        viewer.drain { seen.append($0) }
        #expect(seen.map(\.worker) == [1])
        region.close(exitStatus: nil)
    }

    /// A second creation in the same process fails with one line (the live region is ours).
    @Test func secondCreationInOneProcessIsRefused() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        #expect(throws: SharedRegionError.self) { try PublishedRegion.create(RegionFixture.options(dir)) }
        do {
            _ = try PublishedRegion.create(RegionFixture.options(dir))
        } catch {
            #expect(error.kind == .exists)
            #expect(!error.description.contains("\n"))
        }
        region.close(exitStatus: nil)
        let again = try PublishedRegion.create(RegionFixture.options(dir))
        again.close(exitStatus: nil)
    }

    /// The publisher thread answers a viewer's request with a fresh snapshot and re-publishes
    /// info when it changes; stop publishes a last snapshot and closes the region.
    @Test func publisherAnswersRequests() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        let counter = Atomic<UInt64>(1)
        let infoWorkers = Atomic<Int>(2)
        let publisher = RegionPublisher(
            region: region,
            info: { Fixture.info(servers: 1, workers: infoWorkers.load(ordering: .relaxed)) },
            snapshot: { Fixture.snapshot(at: counter.load(ordering: .relaxed), servers: 1, workers: 1) })
        try publisher.start()
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(viewer.latestSnapshot()?.timestamp == 1)
        counter.store(77, ordering: .relaxed)
        infoWorkers.store(5, ordering: .relaxed)
        // Each request is answered (no timing: wait for the answer, bounded by the test's own limit).
        var answered = false
        for _ in 0..<2_000 {
            viewer.requestSnapshot()
            if viewer.latestSnapshot()?.timestamp == 77 {
                answered = true
                break
            }
            SystemClock.sleep(nanos: 1_000_000)
        }
        #expect(answered)
        var infoSeen = false
        for _ in 0..<3_000 {
            if try viewer.readInfo()?.entities.count == 6 {
                infoSeen = true
                break
            }
            viewer.requestSnapshot()
            SystemClock.sleep(nanos: 1_000_000)
        }
        #expect(infoSeen)
        counter.store(99, ordering: .relaxed)
        publisher.stop(exitStatus: 0)
        #expect(viewer.latestSnapshot()?.timestamp == 99)
        #expect(viewer.targetState == .closed(exitStatus: 0))
    }
}

@Suite struct RegionKindTableTests {
    /// A ring slot holds the enum's tag, which the header's kind table maps back to the raw value.
    /// The viewer reads slots field by field at these offsets: they are TraceEvent's and TraceRing's.
    @Test func slotLayoutMatchesTraceEvent() {
        #expect(MemoryLayout<TraceEvent>.stride == RegionLayout.slotBytes)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.timestamp) == RegionLayout.slotTimestamp)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.arg) == RegionLayout.slotArg)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.worker) == RegionLayout.slotWorker)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.server) == RegionLayout.slotServer)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.cpu) == RegionLayout.slotCPU)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.kind) == RegionLayout.slotKind)
        #expect(MemoryLayout<TraceEvent>.offset(of: \.flags) == RegionLayout.slotFlags)
        #expect(TraceRing.controlBytes == RegionLayout.ringControlBytes)
    }

    @Test func tagsAreDeclarationIndices() {
        for (index, kind) in TraceEventKind.allCases.enumerated() {
            #expect(RegionMemory.tag(of: kind) == UInt8(index))
        }
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
        defer { bytes.deallocate() }
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        let memory = RegionMemory(base: bytes, size: 4096)
        memory.writeKindTable()
        #expect(memory.readKindTable() == TraceEventKind.allCases.map { Optional($0) })
    }
}

@Suite struct RegionLeaseTests {
    /// Only the viewer that took the consumer lease gives it back: a listing in the same process
    /// (which never drains) leaves it alone.
    @Test func onlyTheLeaseHolderReleasesIt() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        defer { region.close(exitStatus: nil) }
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        #expect(viewer.acquireConsumer())
        #expect(RegionDirectory.list(directory: dir).map(\.pid) == [RegionFixture.pid])
        let other = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        other.detach()
        #expect(viewer.consumerPID == RegionFixture.pid)
        viewer.detach()
        #expect(viewer.consumerPID == nil)
    }

    /// Slots decoded straight into the batches: a stretch that wraps around the ring's end and
    /// spans several batches comes out whole and in order, in full batches but the last.
    @Test func drainBatchesDecodesAcrossTheRingsEndAndBatchBoundaries() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir, rings: 1, capacity: 16_384))
        let ring = try #require(region.makeRing(label: "srv0", tid: 1))
        let events = Fixture.events(count: 20_000, seed: 5)
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        for e in events.prefix(10_000) { #expect(ring.push(e)) }
        #expect(viewer.drainBatches { _ in } == 10_000)
        // Slots 10,000 to 19,999: across the end of the 16,384-slot ring.
        for e in events.dropFirst(10_000) { #expect(ring.push(e)) }
        var seen: [TraceEvent] = []
        var sizes: [Int] = []
        let passed = viewer.drainBatches { batch in
            sizes.append(batch.count)
            seen += batch
        }
        #expect(passed == events.count - 10_000)
        #expect(seen == Array(events.dropFirst(10_000)))
        let full = AttachedRegion.batchCapacity
        #expect(sizes.dropLast().allSatisfy { $0 == full } && sizes.count == (passed + full - 1) / full)
        #expect(sizes.count == 3)
        viewer.detach()
        region.close(exitStatus: nil)
    }

    /// `drainBatches` passes what `drain` passes, in order, in batches of at most `batchCapacity` events.
    @Test func drainBatchesPassesTheSameEventsInBatches() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        let region = try PublishedRegion.create(RegionFixture.options(dir, rings: 2, capacity: 16_384))
        let a = try #require(region.makeRing(label: "srv0", tid: 1))
        let b = try #require(region.makeRing(label: "srv1", tid: 2))
        let events = Fixture.events(count: 12_000, seed: 11)
        for e in events { #expect(a.push(e)) }
        for e in events.prefix(5) { #expect(b.push(e)) }
        let viewer = try AttachedRegion.open(pid: RegionFixture.pid, directory: dir)
        var seen: [TraceEvent] = []
        var sizes: [Int] = []
        let passed = viewer.drainBatches(limit: 10_000) { batch in
            sizes.append(batch.count)
            seen += batch
        }
        #expect(passed == 10_005)
        #expect(sizes.allSatisfy { $0 <= AttachedRegion.batchCapacity } && sizes.count >= 3)
        #expect(seen == Array(events.prefix(10_000)) + Array(events.prefix(5)))
        seen.removeAll()
        #expect(viewer.drainBatches { seen += $0 } == events.count - 10_000)
        #expect(seen == Array(events[10_000...]))
        viewer.detach()
        region.close(exitStatus: nil)
    }
}
