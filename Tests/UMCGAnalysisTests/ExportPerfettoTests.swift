import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

/// A decoded `.pftrace`: packets plus the sched events pulled out of the ftrace bundles.
struct DecodedPerfetto {
    struct Switch {
        var cpu: UInt32, timestamp: UInt64, pid: UInt32
        var prevComm: String, prevPid: Int32, prevPrio: Int32, prevState: Int64
        var nextComm: String, nextPid: Int32, nextPrio: Int32
    }
    struct Waking { var cpu: UInt32, timestamp: UInt64, comm: String, pid: Int32, targetCpu: Int32 }
    struct Counter { var uuid: UInt64, timestamp: UInt64, value: Double }

    var packets: [ProtoMessage] = []
    var switches: [Switch] = []
    var wakings: [Waking] = []
    var threads: [(tid: Int32, name: String, tgid: Int32)] = []
    var processes: [(pid: Int32, cmdline: [String])] = []
    var tracks: [(uuid: UInt64, name: String?, isCounter: Bool)] = []
    var counters: [Counter] = []
    var instants: [(timestamp: UInt64, name: String, track: UInt64)] = []
    /// Thread tracks: uuid → (pid, tid, name).
    var threadTracks: [UInt64: (pid: Int32, tid: Int32, name: String)] = [:]
    /// Every ftrace event's (cpu, timestamp), in file order.
    var ftraceOrder: [(cpu: UInt32, timestamp: UInt64)] = []

    init(_ bytes: [UInt8]) throws {
        let trace = try ProtoMessage(decoding: bytes)
        for field in trace.fields {
            #expect(field.number == PerfettoField.Trace.packet && field.wireType == 2, "Trace holds only packets")
            packets.append(try field.message())
        }
        for packet in packets {
            if let bundle = try packet.message(PerfettoField.Packet.ftraceEvents) {
                let cpu = UInt32(try #require(bundle.first(PerfettoField.Bundle.cpu)).scalar)
                for eventField in bundle.all(PerfettoField.Bundle.event) {
                    let event = try eventField.message()
                    let ts = try #require(event.first(PerfettoField.FtraceEvent.timestamp)).scalar
                    let pid = UInt32(try #require(event.first(PerfettoField.FtraceEvent.pid)).scalar)
                    ftraceOrder.append((cpu, ts))
                    if let s = try event.message(PerfettoField.FtraceEvent.schedSwitch) {
                        for n in 1...7 { #expect(s.has(UInt32(n)), "sched_switch field \(n) present") }
                        switches.append(
                            Switch(
                                cpu: cpu, timestamp: ts, pid: pid,
                                prevComm: s.first(PerfettoField.SchedSwitch.prevComm)?.string ?? "",
                                prevPid: s.first(2)?.int32 ?? -1,
                                prevPrio: s.first(3)?.int32 ?? -1, prevState: s.first(4)?.int64 ?? -1,
                                nextComm: s.first(5)?.string ?? "", nextPid: s.first(6)?.int32 ?? -1,
                                nextPrio: s.first(7)?.int32 ?? -1))
                    } else if let w = try event.message(PerfettoField.FtraceEvent.schedWaking) {
                        for n in 1...5 { #expect(w.has(UInt32(n)), "sched_waking field \(n) present") }
                        wakings.append(
                            Waking(
                                cpu: cpu, timestamp: ts, comm: w.first(1)?.string ?? "", pid: w.first(2)?.int32 ?? -1,
                                targetCpu: w.first(5)?.int32 ?? -1))
                    } else {
                        Issue.record("ftrace event without sched_switch or sched_waking")
                    }
                }
            }
            if let tree = try packet.message(PerfettoField.Packet.processTree) {
                for t in tree.all(PerfettoField.ProcessTree.threads) {
                    let m = try t.message()
                    threads.append((m.first(1)?.int32 ?? -1, m.first(2)?.string ?? "", m.first(3)?.int32 ?? -1))
                }
                for p in tree.all(PerfettoField.ProcessTree.processes) {
                    let m = try p.message()
                    processes.append((m.first(1)?.int32 ?? -1, m.all(3).compactMap(\.string)))
                }
            }
            if let track = try packet.message(PerfettoField.Packet.trackDescriptor) {
                let uuid = try #require(track.first(PerfettoField.Track.uuid)).scalar
                tracks.append(
                    (uuid, track.first(PerfettoField.Track.name)?.string, track.has(PerfettoField.Track.counter)))
                if let thread = try track.message(PerfettoField.Track.thread) {
                    threadTracks[uuid] = (
                        thread.first(PerfettoField.Track.threadPid)?.int32 ?? -1,
                        thread.first(PerfettoField.Track.threadTid)?.int32 ?? -1,
                        thread.first(PerfettoField.Track.threadName)?.string ?? ""
                    )
                }
            }
            if let event = try packet.message(PerfettoField.Packet.trackEvent) {
                let ts = try #require(packet.first(PerfettoField.Packet.timestamp)).scalar
                let type = event.first(PerfettoField.TrackEvent.type)?.scalar
                let uuid = try #require(event.first(PerfettoField.TrackEvent.trackUuid)).scalar
                if type == PerfettoField.TrackEvent.typeCounter {
                    let value = try #require(event.first(PerfettoField.TrackEvent.doubleCounterValue))
                    #expect(value.wireType == 1)
                    counters.append(Counter(uuid: uuid, timestamp: ts, value: value.double))
                } else {
                    #expect(type == PerfettoField.TrackEvent.typeInstant)
                    instants.append((ts, event.first(PerfettoField.TrackEvent.name)?.string ?? "", uuid))
                }
            }
        }
    }

    func counters(_ track: RateTrack) -> [Counter] {
        counters.filter { $0.uuid == PerfettoExporter<MemoryByteSink>.uuid(of: track) }
    }
}

@Suite struct ExportPerfettoTests {
    static func export(_ scenario: ExportScenario) throws -> (DecodedPerfetto, ExportStats, MemoryByteSink) {
        var exporter = PerfettoExporter(info: scenario.info, output: MemoryByteSink())
        try scenario.feed(&exporter)
        return (try DecodedPerfetto(exporter.sink.bytes), exporter.stats, exporter.sink)
    }

    @Test func everyPacketIsWellFormedAndOnOneSequence() throws {
        let (decoded, stats, sink) = try Self.export(.simulated())
        // scripts/validate-perfetto sets this to check a sample against the official schema.
        if let path = ProcessInfo.processInfo.environment["UMCGTOP_EXPORT_SAMPLE"] {
            try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
        }
        #expect(decoded.packets.count > 10)
        #expect(stats.bytes == UInt64(sink.bytes.count))
        // Lanes, instants and gaps on sequence 1; each counter track on its own (#15 item 12).
        let counterSequences = Set(RateTrack.allCases.map { PerfettoExporter<MemoryByteSink>.sequenceId(of: $0) })
        for packet in decoded.packets {
            let sequence = packet.first(PerfettoField.Packet.trustedPacketSequenceId)?.scalar
            let isCounter =
                try packet.message(PerfettoField.Packet.trackEvent)?.first(
                    PerfettoField.TrackEvent.type)?.scalar == PerfettoField.TrackEvent.typeCounter
            if isCounter {
                #expect(sequence.map(counterSequences.contains) == true)
            } else {
                #expect(sequence == 1)
            }
        }
        let first = try #require(decoded.packets.first)
        #expect(
            first.first(PerfettoField.Packet.sequenceFlags)?.scalar == PerfettoField.Packet.seqIncrementalStateCleared)
        let clocks = try #require(try first.message(PerfettoField.Packet.clockSnapshot))
        let ids = try clocks.all(PerfettoField.ClockSnapshot.clocks).map { try $0.message().first(1)?.scalar }
        #expect(
            ids == [
                PerfettoField.ClockSnapshot.boottime, PerfettoField.ClockSnapshot.monotonic,
                PerfettoField.ClockSnapshot.realtime,
            ])
        #expect(
            clocks.first(PerfettoField.ClockSnapshot.primaryTraceClock)?.scalar == PerfettoField.ClockSnapshot.boottime)
    }

    @Test func schedSwitchesMatchTheSimulatedSwitches() throws {
        let scenario = ExportScenario.simulated()
        let (decoded, stats, _) = try Self.export(scenario)
        #expect(scenario.laneSwitches > 500)
        #expect(decoded.switches.count == scenario.laneSwitches)
        #expect(stats.switches == UInt64(scenario.laneSwitches))
        #expect(decoded.wakings.count == scenario.wakings)
        #expect(stats.ignoredEvents == 0)
        #expect(Set(decoded.switches.map(\.cpu)) == [0, 1, 2])
        for s in decoded.switches {
            #expect(s.prevPrio == 120 && s.nextPrio == 120)
            #expect(UInt32(bitPattern: s.prevPid) == s.pid, "the event's pid is the task switched out")
            #expect(s.prevPid != s.nextPid)
        }
    }

    @Test func eachCpuLaneIsContinuousAndMonotonic() throws {
        let (decoded, _, _) = try Self.export(.simulated(seed: 7))
        for cpu in 0..<UInt32(3) {
            let lane = decoded.switches.filter { $0.cpu == cpu }
            #expect(lane.first?.prevPid == 0, "a lane starts idle")
            for (a, b) in zip(lane, lane.dropFirst()) {
                #expect(a.nextPid == b.prevPid, "what runs is what switches out next")
                #expect(a.timestamp <= b.timestamp)
            }
            for s in lane where s.prevPid == 0 { #expect(s.prevComm == "swapper/\(cpu)" && s.prevState == 0) }
            // Switches and wakings together never go back in time on one CPU (Perfetto's ftrace importer expects it).
            let stamps = decoded.ftraceOrder.filter { $0.cpu == cpu }.map(\.timestamp)
            #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
        }
    }

    @Test func workersAreNamedThreadsOfOneProcess() throws {
        let scenario = ExportScenario.simulated(workers: 5)
        let (decoded, _, _) = try Self.export(scenario)
        #expect(decoded.processes.count == 1)
        #expect(decoded.processes.first?.cmdline == ["umcgtop"])
        let pid = ExportThreadTable.processPid
        #expect(decoded.processes.first?.pid == pid)
        #expect(decoded.threads.map(\.name) == (0..<5).map { "mixed-\($0)" })
        #expect(decoded.threads.allSatisfy { $0.tgid == pid })
        #expect(decoded.threads.map(\.tid) == [2000, 2001, 2002, 2003, ExportThreadTable.syntheticPid(4)])
        let names = Dictionary(decoded.threads.map { ($0.tid, $0.name) }, uniquingKeysWith: { a, _ in a })
        for s in decoded.switches where s.nextPid != 0 { #expect(names[s.nextPid] == s.nextComm) }
        let tracks = decoded.tracks.filter(\.isCounter).compactMap(\.name)
        #expect(tracks.contains("UMCG switches/s") && tracks.contains("futex ping-pong switches/s"))
        #expect(tracks.contains("condvar ping-pong switches/s"))
    }

    @Test func prevStateFollowsWhyTheWorkerLeft() throws {
        let info = ExportScenario.info(servers: 1, workers: 4)
        var exporter = PerfettoExporter(info: info, output: MemoryByteSink())
        var t = ExportScenario.start
        let leaves: [(TraceEventKind, UInt64)] = [
            (.block, BlockReason.io.rawValue), (.block, BlockReason.sleep.rawValue), (.wait, 0), (.preempt, 0),
            (.exit, 0),
        ]
        for (index, leave) in leaves.enumerated() {
            let w = UInt32(index % 4)
            t += 1000
            try exporter.add(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: w))
            t += 1000
            try exporter.add(TraceEvent(timestamp: t, kind: leave.0, server: 0, worker: w, arg: leave.1))
        }
        try exporter.finish()
        let decoded = try DecodedPerfetto(exporter.sink.bytes)
        let outs = decoded.switches.filter { $0.nextPid == 0 }
        #expect(outs.map(\.prevState) == [2, 1, 0, 0, 16])  // D, S, R, R, X
        // Why each worker stopped is also an instant on its thread track (a yield is not).
        #expect(decoded.instants.map(\.name) == ["block (io)", "block (sleep)", "preempt", "exit"])
        let owners = try decoded.instants.map { try #require(decoded.threadTracks[$0.track]) }
        #expect(owners.map(\.name) == ["mixed-0", "mixed-1", "mixed-3", "mixed-0"])
        #expect(owners.map(\.tid) == [2000, 2001, ExportThreadTable.syntheticPid(3), 2000])
        #expect(owners.allSatisfy { $0.pid == ExportThreadTable.processPid })
        #expect(decoded.threadTracks.count == 3)
    }

    @Test func countersGiveSwitchesPerSecond() throws {
        let scenario = ExportScenario.simulated()
        let (decoded, _, _) = try Self.export(scenario)
        let umcg = decoded.counters(.umcg)
        #expect(umcg.count >= 5)
        // Every bucket's value is switches × 10 (100 ms buckets): they add up to every switch.
        let total = umcg.reduce(0.0) { $0 + $1.value / 10 }
        #expect(abs(total - Double(scenario.laneSwitches)) < 0.5)
        #expect(zip(umcg, umcg.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        // Baselines (#15 item 3): without keyframe counters each sample rates its slice over the slice's own
        // active time, which starts at the previous sample of any method (the methods take turns on one thread),
        // not at the same method's previous sample.
        let all = scenario.samples.flatMap { method, samples in samples.map { (method, $0.0, $0.1) } }
            .sorted { $0.1 < $1.1 }
        for method in [BaselineMethod.futex, .condvar] {
            let expected = zip(all, all.dropFirst()).filter { $0.1.0 == method }
            let values = decoded.counters(RateTrack(method))
            #expect(values.count == expected.count)
            #expect(values.count > 2)
            for (value, (previous, current)) in zip(values, expected) {
                #expect(value.timestamp == previous.1)
                let rate = Double(current.2 * 2) * 1e9 / Double(current.1 - previous.1)
                #expect(abs(value.value - rate) < 1e-6 * rate)
            }
        }
    }

    @Test func keyframesGiveBaselineRatesWhenThereAreNoSamples() throws {
        let info = ExportScenario.info(servers: 1, workers: 1)
        var exporter = PerfettoExporter(info: info, output: MemoryByteSink())
        for (i, cycles) in [UInt64(0), 100_000, 250_000].enumerated() {
            let t = ExportScenario.start + UInt64(i) * 1_000_000_000
            try exporter.add(
                Snapshot(
                    timestamp: t, servers: [], workers: [],
                    baselines: [
                        BaselineCounters(
                            method: .futex, cycles: cycles, activeNanos: UInt64(i) * 500_000_000, placement: "x")
                    ]))
        }
        try exporter.finish()
        let values = try DecodedPerfetto(exporter.sink.bytes).counters(.futex).map(\.value)
        #expect(values == [400_000, 600_000])  // 2 × Δcycles / ΔactiveNanos
    }

    @Test func aGapIsMarkedAndTheNextKeyframeResyncsTheLanes() throws {
        let info = ExportScenario.info(servers: 2, workers: 3)
        var exporter = PerfettoExporter(info: info, output: MemoryByteSink())
        let t = ExportScenario.start
        try exporter.add(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: 0))
        try exporter.add(TraceEvent(timestamp: t + 10, kind: .dropped, arg: 5))
        try exporter.addGap(timestamp: t + 20, count: 2)
        // The lost events moved worker 0 to server 1 and started worker 2 on server 0.
        var s0 = ServerCounters(id: 0, state: .running, currentWorker: 2)
        s0.switches = 3
        let s1 = ServerCounters(id: 1, state: .running, currentWorker: 0)
        try exporter.add(Snapshot(timestamp: t + 100, servers: [s0, s1], workers: []))
        // A second keyframe without a gap changes nothing.
        try exporter.add(Snapshot(timestamp: t + 200, servers: [ServerCounters(id: 0, state: .idle)], workers: []))
        try exporter.finish()
        let decoded = try DecodedPerfetto(exporter.sink.bytes)
        #expect(decoded.instants.map(\.name) == ["dropped 5 events", "dropped 2 events"])
        #expect(decoded.instants.allSatisfy { $0.track == PerfettoExporter<MemoryByteSink>.processTrackUuid })
        #expect(exporter.stats.gaps == 2)
        let tids: [Int32] = [2000, 2001, ExportThreadTable.syntheticPid(2)]
        let lanes = decoded.switches.map { "\($0.cpu):\($0.prevPid)>\($0.nextPid)@\($0.timestamp - t)" }
        #expect(lanes == ["0:0>\(tids[0])@0", "0:\(tids[0])>\(tids[2])@100", "1:0>\(tids[0])@100"])
    }

    @Test func unknownWorkersAndBadIdsNeverTrap() throws {
        let info = ExportScenario.info(servers: 1, workers: 1)
        var exporter = PerfettoExporter(info: info, output: MemoryByteSink())
        let t = ExportScenario.start
        let second: UInt64 = 1_000_000_000
        try exporter.add(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: 77))
        try exporter.add(TraceEvent(timestamp: t + 1, kind: .switchTo, server: 60_000, worker: 1))
        try exporter.add(TraceEvent(timestamp: t + 2, kind: .switchTo, server: 0))
        try exporter.add(TraceEvent(timestamp: t + 3, kind: .handoff, server: 0, worker: 77, arg: .max))
        try exporter.add(TraceEvent(timestamp: t + 4, kind: .baselineSample, worker: 200, arg: .max))
        try exporter.add(TraceEvent(timestamp: t + 5, kind: .block, worker: .max - 1, arg: .max))
        try exporter.add(TraceEvent(timestamp: t + second, kind: .switchTo, server: 0, worker: 0))
        try exporter.add(TraceEvent(timestamp: t + 2 * second, kind: .serverWake, server: 0))
        // Later than the reorder window: it cannot be sorted back, so its lane clamps it.
        try exporter.add(TraceEvent(timestamp: t + 6, kind: .switchTo, server: 0, worker: UInt32.max - 1))
        try exporter.finish()
        let decoded = try DecodedPerfetto(exporter.sink.bytes)
        #expect(exporter.stats.ignoredEvents == 2)
        #expect(exporter.stats.clampedTimestamps == 1)
        #expect(decoded.threads.contains { $0.tid == ExportThreadTable.syntheticPid(77) && $0.name == "worker-77" })
        #expect(decoded.switches.map(\.timestamp) == [t, t + 3, t + second, t + second])
        #expect(decoded.switches.last?.nextPid == ExportThreadTable.syntheticPid(UInt32.max - 1))
    }

    @Test func eventsOutOfOrderWithinTheWindowAreSorted() throws {
        let info = ExportScenario.info(servers: 1, workers: 3)
        var exporter = PerfettoExporter(info: info, output: MemoryByteSink())
        let t = ExportScenario.start
        // The server's ring drained first, then the worker's: the block (t+20) comes after t+30.
        try exporter.add(TraceEvent(timestamp: t + 10, kind: .switchTo, server: 0, worker: 0))
        try exporter.add(TraceEvent(timestamp: t + 30, kind: .switchTo, server: 0, worker: 1))
        try exporter.add(
            TraceEvent(timestamp: t + 20, kind: .block, server: 0, worker: 0, arg: BlockReason.sleep.rawValue))
        try exporter.finish()
        let decoded = try DecodedPerfetto(exporter.sink.bytes)
        let lane = decoded.switches.map { "\($0.prevPid)>\($0.nextPid):\($0.prevState)@\($0.timestamp - t)" }
        #expect(lane == ["0>2000:0@10", "2000>0:1@20", "0>2001:0@30"])
        #expect(exporter.stats.clampedTimestamps == 0)
    }

    @Test func outputStreamsInBoundedChunks() throws {
        let (_, _, sink) = try Self.export(.simulated(steps: 60_000))
        #expect(sink.writes > 3)
        #expect(sink.bytes.count / sink.writes < 2 * PerfettoExporter<MemoryByteSink>.flushBytes)
    }

    @Test func finishTwiceIsAnError() throws {
        var exporter = PerfettoExporter(info: ExportScenario.info(servers: 1, workers: 1), output: MemoryByteSink())
        try exporter.finish()
        #expect(throws: ExportError.alreadyFinished) { try exporter.finish() }
        #expect(throws: ExportError.alreadyFinished) { try exporter.add(TraceEvent(timestamp: 1, kind: .wake)) }
    }
}
