import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGAnalysis

@Suite struct ExportChromeTests {
    static func export(_ scenario: ExportScenario) throws -> (
        events: [[String: Any]], root: [String: Any], stats: ExportStats
    ) {
        var exporter = ChromeTraceExporter(info: scenario.info, output: MemoryByteSink())
        try scenario.feed(&exporter)
        let object = try JSONSerialization.jsonObject(with: Data(exporter.sink.bytes))
        let root = try #require(object as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        return (events, root, exporter.stats)
    }

    @Test func parsesWithEveryPhaseAndName() throws {
        let scenario = ExportScenario.simulated()
        let (events, root, stats) = try Self.export(scenario)
        #expect(root["displayTimeUnit"] as? String == "ns")
        #expect((root["otherData"] as? [String: Any])?["scenario"] as? String == scenario.info.scenario)
        let phases = Set(events.compactMap { $0["ph"] as? String })
        #expect(phases == ["M", "X", "i", "C"])
        let threadNames = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" }
            .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        for name in ["srv0", "srv1", "srv2"] + (0..<6).map({ "mixed-\($0)" }) { #expect(threadNames.contains(name)) }
        let processNames = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "process_name" }
            .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        #expect(processNames == ["umcgtop servers", "umcgtop workers"])
        #expect(stats.switches == UInt64(scenario.laneSwitches))
    }

    @Test func runSlicesCoverEverySwitchIn() throws {
        let scenario = ExportScenario.simulated(seed: 9)
        let (events, _, _) = try Self.export(scenario)
        let slices = events.filter { $0["ph"] as? String == "X" }
        // Every switch-in starts a slice that a later switch (or the end) closes; the
        // simulation ends every worker with exit, so no slice is left open.
        let switchIns = scenario.kinds[.switchTo, default: 0] + scenario.kinds[.handoff, default: 0]
        #expect(slices.count == switchIns)
        var lastEnd: [Int: Double] = [:]
        for slice in slices.sorted(by: { ($0["ts"] as? Double ?? 0) < ($1["ts"] as? Double ?? 0) }) {
            let ts = try #require(slice["ts"] as? Double)
            let dur = try #require(slice["dur"] as? Double)
            let tid = try #require(slice["tid"] as? Int)
            #expect(dur >= 0)
            #expect(slice["pid"] as? Int == 1)
            #expect((0..<3).contains(tid))
            #expect(ts >= lastEnd[tid, default: 0] - 0.0005, "slices on one lane do not overlap")
            lastEnd[tid] = ts + dur
            #expect((slice["name"] as? String)?.hasPrefix("mixed-") == true)
        }
    }

    @Test func instantsAndCountersMatchTheEvents() throws {
        let scenario = ExportScenario.simulated()
        let (events, _, _) = try Self.export(scenario)
        let instants = events.filter { $0["ph"] as? String == "i" }.compactMap { $0["name"] as? String }
        #expect(instants.filter { $0.hasPrefix("block (") }.count == scenario.kinds[.block])
        #expect(instants.filter { $0 == "wake" }.count == scenario.kinds[.wake])
        #expect(instants.filter { $0 == "timeout" }.count == scenario.kinds[.timeout, default: 0])
        #expect(instants.filter { $0 == "preempt" }.count == scenario.kinds[.preempt])
        let counters = events.filter { $0["ph"] as? String == "C" }
        let names = Set(counters.compactMap { $0["name"] as? String })
        #expect(names == ["UMCG switches/s", "futex ping-pong switches/s", "condvar ping-pong switches/s"])
        let umcgTotal = counters.filter { $0["name"] as? String == "UMCG switches/s" }
            .compactMap { ($0["args"] as? [String: Any])?["value"] as? Int }.reduce(0, +)
        #expect(umcgTotal == scenario.laneSwitches * 10)
    }

    @Test func namesAreEscaped() throws {
        var info = ExportScenario.info(servers: 1, workers: 1)
        info.entities[1].name = "quote\" back\\slash\nnew\u{1}line é"
        info.scenario = "tab\there"
        var exporter = ChromeTraceExporter(info: info, output: MemoryByteSink())
        try exporter.add(TraceEvent(timestamp: 1_000, kind: .switchTo, server: 0, worker: 0))
        try exporter.add(TraceEvent(timestamp: 2_500, kind: .dropped, arg: 3))
        try exporter.finish()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(exporter.sink.bytes)) as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        let slice = try #require(events.first { $0["ph"] as? String == "X" })
        #expect(slice["name"] as? String == info.entities[1].name)
        #expect(slice["ts"] as? Double == 1.0)
        #expect(slice["dur"] as? Double == 1.5)
        #expect((slice["args"] as? [String: Any])?["end"] as? String == "open")
        let gap = try #require(events.first { $0["name"] as? String == "dropped 3 events" })
        #expect(gap["s"] as? String == "g")
        #expect((root["otherData"] as? [String: Any])?["scenario"] as? String == "tab\there")
    }

    @Test func emptyTraceIsValidJSON() throws {
        var exporter = ChromeTraceExporter(info: ExportScenario.info(servers: 0, workers: 0), output: MemoryByteSink())
        try exporter.finish()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(exporter.sink.bytes)) as? [String: Any])
        #expect((root["traceEvents"] as? [Any])?.count == 2)  // the two process names
    }
}
