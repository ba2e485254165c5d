import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

@Suite struct ExportPipelineTests {
    @Test func reorderBufferSortsWithinItsWindowAndStaysBounded() {
        var buffer = ReorderBuffer()
        var out: [ExportItem] = []
        var rng = ExportRNG(state: 3)
        let base: UInt64 = 10_000_000_000
        // Timestamps jittered by up to 1 ms around a rising clock: all within the window.
        for i in 0..<UInt64(100_000) {
            let t = base + i * 1_000 + rng.next(0...1_000_000)
            buffer.push(.event(TraceEvent(timestamp: t, kind: .wake, worker: UInt32(i % 7))), into: &out)
            #expect(buffer.count <= ReorderBuffer.capacity)
        }
        #expect(buffer.count == ReorderBuffer.capacity, "100 µs of trace per 100 events: the cap binds first")
        buffer.drain(into: &out)
        #expect(out.count == 100_000)
        let stamps = out.map(\.timestamp)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func equalTimestampsKeepFileOrder() {
        var buffer = ReorderBuffer()
        var out: [ExportItem] = []
        for worker in 0..<UInt32(50) {
            buffer.push(.event(TraceEvent(timestamp: 5, kind: .wake, worker: worker)), into: &out)
        }
        buffer.drain(into: &out)
        let workers = out.compactMap { item -> UInt32? in
            if case .event(let e) = item { return e.worker }
            return nil
        }
        #expect(workers == Array(0..<50))
    }

    @Test func aKeyframeTakenNowFollowsTheEventsBeforeIt() {
        var pipeline = ExportPipeline()
        let t: UInt64 = 1_000_000_000
        pipeline.push(.event(TraceEvent(timestamp: t, kind: .switchTo, server: 0, worker: 1)))
        pipeline.push(.event(TraceEvent(timestamp: t + 5, kind: .dropped, arg: 1)))
        // The keyframe (t+100) was written before an event of t+50 was drained.
        pipeline.push(
            .snapshot(
                Snapshot(
                    timestamp: t + 100, servers: [ServerCounters(id: 0, state: .running, currentWorker: 2)], workers: []
                )))
        pipeline.push(.event(TraceEvent(timestamp: t + 50, kind: .switchTo, server: 0, worker: 2)))
        pipeline.finish()
        let switches = pipeline.transitions.compactMap { transition -> String? in
            guard case .laneSwitch(let s) = transition else { return nil }
            return "\(s.prev.map(String.init) ?? "-")>\(s.next.map(String.init) ?? "-")@\(s.timestamp - t)"
        }
        // Sorted, the keyframe agrees with the lane: no resync switch.
        #expect(switches == ["->1@0", "1>2@50"])
    }
}
