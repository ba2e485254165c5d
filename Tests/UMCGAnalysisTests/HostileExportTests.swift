import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

/// #15: exported rates on active time, packets in time order per sequence, saturating drop counts.
@Suite struct HostileExportTests {
    /// Every `trusted_packet_sequence_id` is in time order (Perfetto requires it; counter values, stamped at
    /// their interval's start, used to come after later instants on one sequence).
    @Test func everySequenceIsInTimeOrder() throws {
        var exporter = PerfettoExporter(info: ExportScenario.simulated().info, output: MemoryByteSink())
        try ExportScenario.simulated(steps: 20_000).feed(&exporter)
        let decoded = try DecodedPerfetto(exporter.sink.bytes)
        var last: [UInt64: UInt64] = [:]
        var backwards = 0
        var stamped = 0
        for packet in decoded.packets {
            guard let ts = packet.first(PerfettoField.Packet.timestamp)?.scalar else { continue }
            let sequence = packet.first(PerfettoField.Packet.trustedPacketSequenceId)?.scalar ?? 0
            stamped += 1
            if let previous = last[sequence], ts < previous { backwards += 1 }
            last[sequence] = max(last[sequence] ?? 0, ts)
        }
        #expect(stamped > 100)
        #expect(backwards == 0)
        #expect(last.count >= 3)  // lanes/instants plus at least the UMCG and one baseline counter sequence
    }

    /// A live run's shape: futex and condvar alternate in slices of 110 ms and 490 ms on one thread, each ending
    /// with a sample; keyframes every second carry the lossless counters (cycles, active ns). The exported futex
    /// rate must be 2 × the headless JSON's `cycles_per_sec` (cycles / active time), not cycles / wall time.
    @Test func exportedBaselineRateIsTheHeadlessRate() throws {
        let info = ExportScenario.info(servers: 1, workers: 1)
        let futexRate = 122_900.0  // cycles per active second
        let condvarRate = 40_000.0
        var records: [(UInt64, Snapshot?, TraceEvent?)] = []
        var t = ExportScenario.start
        var futex = (cycles: UInt64(0), active: UInt64(0))
        var condvar = (cycles: UInt64(0), active: UInt64(0))
        var nextKeyframe = t
        for _ in 0..<20 {
            for (method, length) in [(BaselineMethod.futex, UInt64(110_000_000)), (.condvar, 490_000_000)] {
                // Keyframes taken between slices, as the engine's counters only move at slice ends.
                while nextKeyframe <= t {
                    records.append(
                        (
                            nextKeyframe,
                            Snapshot(
                                timestamp: nextKeyframe, servers: [], workers: [],
                                baselines: [
                                    BaselineCounters(
                                        method: .futex, cycles: futex.cycles, activeNanos: futex.active, placement: "x"),
                                    BaselineCounters(
                                        method: .condvar, cycles: condvar.cycles, activeNanos: condvar.active,
                                        placement: "x"),
                                ]), nil
                        ))
                    nextKeyframe += 1_000_000_000
                }
                t += length
                let rate = method == .futex ? futexRate : condvarRate
                let cycles = UInt64(rate * Double(length) / 1e9)
                if method == .futex {
                    futex = (futex.cycles + cycles, futex.active + length)
                } else {
                    condvar = (condvar.cycles + cycles, condvar.active + length)
                }
                records.append(
                    (
                        t, nil,
                        TraceEvent(timestamp: t, kind: .baselineSample, worker: UInt32(method.rawValue), arg: cycles)
                    ))
            }
        }
        var exporter = PerfettoExporter(info: info, output: MemoryByteSink())
        var lastSnapshot: Snapshot?
        for (_, snapshot, event) in records {
            if let snapshot {
                try exporter.add(snapshot)
                lastSnapshot = snapshot
            }
            if let event { try exporter.add(event) }
        }
        try exporter.finish()
        let values = try DecodedPerfetto(exporter.sink.bytes).counters(.futex).map(\.value)
        #expect(values.count >= 5)
        let average = values.reduce(0, +) / Double(values.count)
        // The headless JSON's rate for the same counters (cycles / active time, whole run).
        let last = try #require(lastSnapshot?.baselines.first { $0.method == .futex })
        let headless = Double(last.cycles) * 1e9 / Double(last.activeNanos)
        #expect(abs(average / 2 - headless) < 0.02 * headless, "exported \(average / 2) vs headless \(headless)")
        #expect(abs(headless - futexRate) < 0.01 * futexRate)

        // Samples alone (no keyframes): each slice over its own active time, so the same number.
        var samplesOnly = PerfettoExporter(info: info, output: MemoryByteSink())
        for (_, _, event) in records { if let event { try samplesOnly.add(event) } }
        try samplesOnly.finish()
        let sampled = try DecodedPerfetto(samplesOnly.sink.bytes).counters(.futex).map(\.value)
        #expect(sampled.count >= 5)
        for value in sampled { #expect(abs(value / 2 - futexRate) < 0.01 * futexRate) }

        // The fold's sample fallback (the dashboard without keyframes) measures the same active time.
        var fold = EventFold(denseWorkers: 0, denseServers: 0)
        for (_, _, event) in records { if let event { fold.ingest(event) } }
        let i = Int(BaselineMethod.futex.rawValue)
        let foldRate = Double(fold.baselineSampleCycles[i]) * 1e9 / Double(fold.baselineSampleActiveNanos[i])
        #expect(abs(foldRate - futexRate) < 0.01 * futexRate)
    }

    /// Two gaps of 2^63 events: the fold's drop count saturates at UInt64.max instead of wrapping to 0.
    @Test func foldDropCountSaturates() {
        var fold = EventFold(denseWorkers: 1, denseServers: 1)
        fold.ingest(TraceEvent(timestamp: 10, kind: .dropped, server: 0, arg: 1 << 63))
        fold.ingest(TraceEvent(timestamp: 20, kind: .dropped, server: 0, arg: 1 << 63))
        #expect(fold.markerDropped == .max)
        #expect(UInt64.max.saturatingAdd(1) == .max && UInt64(2).saturatingAdd(3) == 5)
    }
}
