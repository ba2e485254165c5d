import Synchronization
import Testing
import UMCGSystem

@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// A clock the test moves by hand.
final class FakeClock: Sendable {
    let now = Atomic<UInt64>(0)
    func read() -> UInt64 { now.load(ordering: .acquiring) }  // Acquiring: pairs with `set`.
    func set(_ t: UInt64) { now.store(t, ordering: .releasing) }  // Releasing: pairs with `read`.
}

/// What the tap consumer thread delivered (written once before it ends).
let tapDelivered = Atomic<UInt64>(0)

@Suite struct TracePumpTests {
    /// Producers on their own threads with small rings (so they drop), the real pump thread:
    /// the file holds every delivered event in per-ring order, with gaps exactly where drops were.
    @Test func fileEqualsWhatWasPushed() throws {
        let producers = 3
        let perProducer: UInt64 = 100_000
        let hub = TraceHub(ringCapacity: 512)
        let rings = (0..<producers).map { hub.makeRing(label: "p\($0)") }
        // Producer 1's first 1,024 events go in before any consumer exists, so its 512-slot ring
        // drops for sure (whether the flood drops later depends on how fast the pump runs).
        let prefilled: UInt64 = 1_024
        for i in 0..<prefilled {
            rings[1].push(TraceEvent(timestamp: i, kind: .wake, server: 1, worker: 1, cpu: 1, arg: i))
        }
        #expect(rings[1].dropped == prefilled - UInt64(rings[1].capacity))
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 8192)
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: writer,
            snapshot: { Fixture.snapshot(at: TracePump.monotonicNanoseconds()) },
            tapCapacity: 16, keyframeInterval: .milliseconds(50))
        var handles: [ThreadLauncher.Handle] = []
        for (p, ring) in rings.enumerated() {
            handles.append(
                try #require(
                    ThreadLauncher.spawn(name: "test-thread") {
                        for i in (p == 1 ? prefilled : 0)..<perProducer {
                            // Producer 0 waits for room (it never drops); producers 1 and 2 flood their rings.
                            while p == 0 && ring.count > ring.capacity / 2 { sched_yield() }
                            ring.push(
                                TraceEvent(
                                    timestamp: i, kind: .wake, server: UInt16(p), worker: UInt32(p), cpu: 1, arg: i))
                        }
                        // Producer 2 leaves its last drops unannounced: stop() must turn them into a gap.
                        if p != 2 { while !ring.flushPendingDrops() { sched_yield() } }
                    }))
        }
        for h in handles { ThreadLauncher.join(h) }
        #expect(pump.stop() == nil)
        #expect(pump.stop() == nil)  // idempotent
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.summary.cleanEnd)
        var next = [UInt64](repeating: 0, count: producers)
        var unattributed: UInt64 = 0
        var problems: [String] = []
        var keyframes = 0
        try reader.forEachRecord { record in
            switch record {
            case .event(let e):
                let p = Int(e.worker)
                if e.timestamp != next[p] { problems.append("p\(p) event \(e.timestamp) expected \(next[p])") }
                next[p] = e.timestamp + 1
            case .gap(let g):
                if g.worker == TraceEvent.noWorker {
                    unattributed += g.count
                } else {
                    let p = Int(g.worker)
                    if g.timestamp != next[p] { problems.append("p\(p) gap at \(g.timestamp) expected \(next[p])") }
                    next[p] = g.timestamp + g.count
                }
            case .keyframe: keyframes += 1
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(next[0] == perProducer && next[1] == perProducer)
        #expect(rings[0].dropped == 0 && rings[1].dropped > 0)
        #expect(next[2] + unattributed == perProducer)
        #expect(reader.summary.dropped == hub.dropped)
        #expect(reader.summary.events + hub.dropped == UInt64(producers) * perProducer)
        #expect(pump.eventsWritten == reader.summary.events)
        #expect(pump.bytesWritten == UInt64(sink.bytes.count))
        #expect(keyframes >= 2)  // the first and the final one at least
        #expect(pump.tap.dropped > 0)  // the tap was never drained, yet the file is complete
        print("pump: \(reader.summary.events) events, \(hub.dropped) dropped, \(keyframes) keyframes")
    }

    /// A pump driven by a fake clock: a keyframe at the start and then every second of event time,
    /// chunks flushed at least every 250 ms.
    @Test func keyframeAboutEverySecondAndFlushEveryQuarter() throws {
        let clock = FakeClock()
        let hub = TraceHub(ringCapacity: 4096)
        let ring = hub.makeRing(label: "srv0")
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info())
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: writer, snapshot: { Fixture.snapshot(at: clock.read()) },
            tapCapacity: 1 << 16, keyframeInterval: .seconds(1), clock: { clock.read() }, startThread: false)
        let start: UInt64 = 5_000_000_000
        let step: UInt64 = 7_000_000  // a pass every 7 ms of fake time
        var t = start
        var sizeAfterFirstQuarter = 0
        while t < start + 5_500_000_000 {
            clock.set(t)
            for k in 0..<20 {
                ring.push(TraceEvent(timestamp: t + UInt64(k), kind: .switchTo, server: 0, worker: 1, cpu: 0, arg: 100))
            }
            pump.pass(now: t)
            if sizeAfterFirstQuarter == 0 && t >= start + 260_000_000 { sizeAfterFirstQuarter = sink.bytes.count }
            t += step
        }
        // After ~260 ms a chunk was written although it is far from full.
        let headerAndFirstKeyframe =
            Fixture.info().encodedFileHeader().count + 56 + Fixture.snapshot(at: start).encodedKeyframe().count
        #expect(sizeAfterFirstQuarter > headerAndFirstKeyframe)
        #expect(pump.stop() == nil)
        let reader = try TraceReader(bytes: sink.bytes)
        let stamps = reader.keyframeTimestamps
        #expect(stamps.first == start)
        #expect(stamps.count == 7)  // 5.0, 6.0 … 10.0 s, and the final one
        for (a, b) in zip(stamps, stamps.dropFirst()).dropLast() {
            #expect(b - a >= 1_000_000_000 && b - a < 1_000_000_000 + step)
        }
        // Chunks cover at most ~250 ms of events each.
        var cursor = reader.makeCursor()
        var first: UInt64?
        var previous: UInt64 = 0
        var longest: UInt64 = 0
        while let record = try cursor.next() {
            switch record {
            case .event(let e):
                if first == nil { first = e.timestamp }
                previous = e.timestamp
            case .keyframe, .gap:
                if let f = first { longest = max(longest, previous - f) }
                first = nil
            }
        }
        #expect(longest < 1_100_000_000)
    }

    /// After a write error the pump keeps feeding the tap, stops writing, and stop() returns the error.
    @Test func stopAfterAWriteErrorReturnsIt() throws {
        let hub = TraceHub(ringCapacity: 1 << 14)
        let ring = hub.makeRing(label: "w")
        let header = Fixture.info().encodedFileHeader().count
        let sink = MemorySink(limit: header + 3000)
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info(), chunkBytes: 1024)
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: writer, snapshot: { Fixture.snapshot(at: 1) }, tapCapacity: 1 << 14,
            keyframeInterval: .seconds(3600), clock: { 0 }, startThread: false)
        let events = Fixture.events(count: 5000, seed: 5, dropRate: 0)
        for e in events { ring.push(e) }
        pump.pass(now: 0)
        #expect(pump.writeError?.isNoSpace == true)
        var teed = 0
        pump.tap.drain { _ in teed += 1 }
        #expect(teed == events.count)
        let error = pump.stop()
        #expect(error?.isNoSpace == true)
        #expect(pump.stop() == error)
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.summary.truncated && !reader.summary.cleanEnd)
        #expect(reader.summary.events == pump.eventsWritten)
        #expect(reader.summary.events > 0 && reader.summary.events < UInt64(events.count))
    }

    /// A dashboard thread draining the tap while the pump runs sees every event in per-ring order
    /// (tap drops aside), and tap delivered + tap dropped == the file's entries.
    @Test func tapDeliversInOrderWhileTheFileGetsEverything() throws {
        let hub = TraceHub(ringCapacity: 1 << 12)
        let rings = (0..<2).map { hub.makeRing(label: "p\($0)") }
        let sink = MemorySink()
        let writer = try TraceWriter(sink: sink, path: "(memory)", info: Fixture.info())
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: writer, snapshot: { Fixture.snapshot(at: 1) }, tapCapacity: 256)
        let done = Finished()
        let consumer = try #require(
            ThreadLauncher.spawn(name: "test-thread") {
                var next: [UInt64] = [0, 0]
                var delivered: UInt64 = 0
                var ordered = true
                // Acquiring: pairs with the test's releasing add after stop().
                while done.count.load(ordering: .acquiring) == 0 || pump.tap.count > 0 {
                    pump.tap.drain { e in
                        if e.kind == .dropped { return }  // tap drops: order resumes after the gap
                        let p = Int(e.worker)
                        if e.timestamp < next[p] { ordered = false }
                        next[p] = e.timestamp + 1
                        delivered += 1
                    }
                    sched_yield()
                }
                // Releasing: pairs with the test's acquiring loads below.
                done.count.add(ordered ? 10 : 100, ordering: .releasing)
                tapDelivered.store(delivered, ordering: .releasing)
            })
        for i in 0..<50_000 {
            for (p, ring) in rings.enumerated() {
                while ring.count > ring.capacity / 2 { sched_yield() }
                ring.push(TraceEvent(timestamp: UInt64(i), kind: .wake, server: 0, worker: UInt32(p), cpu: 0))
            }
        }
        #expect(pump.stop() == nil)
        // Releasing: pairs with the consumer's acquiring load.
        done.count.add(1, ordering: .releasing)
        ThreadLauncher.join(consumer)
        // Acquiring: pairs with the consumer's releasing stores.
        #expect(done.count.load(ordering: .acquiring) == 11)
        let reader = try TraceReader(bytes: sink.bytes)
        #expect(reader.summary.events == 100_000 && reader.summary.dropped == 0)
        let tapMarkers = pump.tap.dropped
        #expect(tapDelivered.load(ordering: .acquiring) + tapMarkers == 100_000)
    }

    /// Without a writer the pump only tees.
    @Test func tapOnlyPump() {
        let hub = TraceHub(ringCapacity: 64)
        let ring = hub.makeRing(label: "w")
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: nil, snapshot: { Fixture.snapshot(at: 1) }, tapCapacity: 256)
        for i in 0..<50 { ring.push(TraceEvent(timestamp: UInt64(i), kind: .wake, worker: 3)) }
        #expect(pump.stop() == nil)
        var seen: [UInt64] = []
        pump.tap.drain { seen.append($0.timestamp) }
        #expect(seen == (0..<50).map { UInt64($0) })
        #expect(pump.bytesWritten == 0)
    }
}

@Suite struct TracePumpFileTests {
    /// The file on disk at any moment of a recording is what a kill -9 would leave: it opens, up to its last
    /// complete record, as truncated; after stop() it is clean and holds every event.
    @Test func fileMidRecordingOpensLikeAfterACrash() throws {
        let path = "/tmp/umcgtrace-pump-\(getpid()).umcgtrace"
        defer { unlink(path) }
        let hub = TraceHub(ringCapacity: 1 << 14)
        let ring = hub.makeRing(label: "srv0")
        let writer = try TraceWriter(path: path, info: Fixture.info(), chunkBytes: 4096)
        let pump = TracePump(
            hub: hub, info: Fixture.info(), writer: writer,
            snapshot: { Fixture.snapshot(at: TracePump.monotonicNanoseconds()) },
            tapCapacity: 1 << 10, keyframeInterval: .milliseconds(20))
        var pushed: UInt64 = 0
        var midRun: TraceReader?
        let deadline = TracePump.monotonicNanoseconds() + 30_000_000_000
        while TracePump.monotonicNanoseconds() < deadline {
            for _ in 0..<100 {
                while ring.count > ring.capacity / 2 { sched_yield() }
                ring.push(
                    TraceEvent(
                        timestamp: pushed, kind: .switchTo, server: 0, worker: UInt32(pushed % 8), cpu: 0, arg: pushed))
                pushed += 1
            }
            if pump.bytesWritten > 40_000 {
                midRun = try TraceReader.open(path: path)
                break
            }
        }
        let early = try #require(midRun)
        #expect(early.summary.truncated && !early.summary.cleanEnd)
        var n: UInt64 = 0
        try early.forEachRecord { record in
            if case .event(let e) = record {
                #expect(e.timestamp == n)
                n += 1
            }
        }
        #expect(n == early.summary.events && n > 0)
        #expect(pump.stop() == nil)
        let done = try TraceReader.open(path: path)
        #expect(done.summary.cleanEnd && done.summary.events == pushed && done.summary.dropped == 0)
    }
}
