import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// The `/metrics` exposition: parsed back line by line, bounded at 10,000 workers, and the
/// loopback-only rule of `--metrics`.
@Suite struct MetricsExpositionTests {
    /// One sample line: name, labels, value.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the Prometheus text format; fails the test on a line it cannot read.
    static func parse(_ text: String) throws -> (samples: [Sample], types: [String: String]) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 4, "bad TYPE line: \(line)")
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            let space = try #require(line.lastIndex(of: " "), "no value: \(line)")
            let value = try #require(Double(line[line.index(after: space)...]), "bad value: \(line)")
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                try #require(series.hasSuffix("}"), "unclosed labels: \(line)")
                let body = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                for pair in body.split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    try #require(kv.count == 2 && kv[1].hasPrefix("\"") && kv[1].hasSuffix("\""), "bad label: \(line)")
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
            }
            try #require(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }, "bad name: \(line)")
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return (samples, types)
    }

    static func info(workers: Int, servers: Int = 2) -> RunInfo {
        RunInfo(
            backend: "emulated", backendReason: "test", kernel: "Linux", hostname: "h", cpus: 2, scenario: "metrics",
            wallClockAnchorNs: 0, monotonicAnchorNs: 0,
            entities: (0..<servers).map { Entity(kind: .server, id: UInt32($0), name: "srv\($0)") }
                + (0..<workers).map { Entity(kind: .worker, id: UInt32($0), name: "w\($0)") })
    }

    /// `workers` workers, worker `i` switched to `i % 7 + 1` times with a wake→run of `(i % 5 + 1)` µs.
    static func aggregator(workers: Int) -> Aggregator {
        let agg = Aggregator(info: info(workers: workers), mode: .live, options: DashboardOptions())
        var t: UInt64 = 1_000
        for w in 0..<workers {
            for _ in 0..<(w % 7 + 1) {
                let worker = UInt32(w)
                agg.ingest(
                    TraceEvent(
                        timestamp: t, kind: .switchTo, server: UInt16(w % 2), worker: worker, cpu: 0,
                        arg: UInt64(w % 5 + 1) * 1_000))
                agg.ingest(
                    TraceEvent(timestamp: t + 500, kind: .block, server: UInt16(w % 2), worker: worker, cpu: 0, arg: 1))
                agg.ingest(TraceEvent(timestamp: t + 900, kind: .wake, server: UInt16(w % 2), worker: worker, cpu: 0))
                t += 1_000
            }
        }
        agg.tick(now: t)
        return agg
    }

    @Test func expositionParsesBackWithConventionalNamesAndValues() throws {
        let agg = Self.aggregator(workers: 30)
        let endpoint = MetricsEndpoint(topWorkers: 5)
        endpoint.publish(agg.metricsSnapshot(topWorkers: endpoint.topWorkerCount))
        let text = String(decoding: endpoint.body, as: UTF8.self)
        let (samples, types) = try Self.parse(text)
        // Counters end in _total; every family is typed.
        for (name, type) in types {
            #expect(name.hasPrefix("umcgtop_"), "\(name)")
            #expect((type == "counter") == name.hasSuffix("_total"), "\(name) is a \(type)")
        }
        #expect(types["umcgtop_wake_to_run_seconds"] == "histogram")
        // Switches add up: the top 5 plus "other" are every switch the fold saw.
        let switches = samples.filter { $0.name == "umcgtop_worker_switches_total" }
        #expect(switches.count == 6)
        #expect(switches.reduce(0) { $0 + $1.value } == Double((0..<30).reduce(0) { $0 + $1 % 7 + 1 }))
        #expect(switches.contains { $0.labels["worker"] == "other" })
        // The busiest first: workers with 7 switches (6, 13, 20, 27) are in the top 5.
        for id in ["6", "13", "20", "27"] {
            #expect(switches.contains { $0.labels["worker"] == id && $0.value == 7 }, "worker \(id)")
        }
        let serverSwitches = samples.filter { $0.name == "umcgtop_server_switches_total" }.reduce(0) { $0 + $1.value }
        #expect(serverSwitches == switches.reduce(0) { $0 + $1.value })
        let blocks = samples.filter { $0.name == "umcgtop_server_blocks_total" }.reduce(0) { $0 + $1.value }
        #expect(blocks == serverSwitches)
        // The histogram's count is every wake→run sample, in seconds (1…5 µs, within 1%).
        let count = try #require(samples.first { $0.name == "umcgtop_wake_to_run_seconds_count" })
        #expect(count.value == serverSwitches)
        let under = try #require(
            samples.first { $0.name == "umcgtop_wake_to_run_seconds_bucket" && $0.labels["le"] == "1e-05" })
        #expect(under.value == serverSwitches)
        let events = try #require(samples.first { $0.name == "umcgtop_ring_events_total" })
        #expect(events.value == Double(agg.model.status.eventsTotal))
        #expect(samples.contains { $0.name == "umcgtop_baseline_cycles_per_second" && $0.labels["method"] == "futex" })
    }

    @Test func countersFollowNewSnapshotsAndHistogramsOnlyGetNewSamples() throws {
        let agg = Self.aggregator(workers: 3)
        let endpoint = MetricsEndpoint(topWorkers: 10)
        endpoint.publish(agg.metricsSnapshot(topWorkers: 10))
        endpoint.publish(agg.metricsSnapshot(topWorkers: 10))  // unchanged: nothing doubles
        var (samples, _) = try Self.parse(String(decoding: endpoint.body, as: UTF8.self))
        #expect(samples.first { $0.name == "umcgtop_wake_to_run_seconds_count" }?.value == 6)
        #expect(samples.first { $0.name == "umcgtop_worker_switches_total" && $0.labels["worker"] == "2" }?.value == 3)
        agg.ingest(TraceEvent(timestamp: 1_000_000, kind: .switchTo, server: 0, worker: 2, cpu: 0, arg: 2_000))
        agg.tick(now: 1_000_100)
        endpoint.publish(agg.metricsSnapshot(topWorkers: 10))
        (samples, _) = try Self.parse(String(decoding: endpoint.body, as: UTF8.self))
        #expect(samples.first { $0.name == "umcgtop_wake_to_run_seconds_count" }?.value == 7)
        #expect(samples.first { $0.name == "umcgtop_worker_switches_total" && $0.labels["worker"] == "2" }?.value == 4)
        #expect(!samples.contains { $0.labels["worker"] == "other" })  // 3 workers ≤ top 10
    }

    /// A publish costs one pass over the histogram's buckets, not one step per sample: 2^40 samples
    /// (fed to swift-prometheus one at a time before, which would take hours) render at once and exactly.
    @Test(.timeLimit(.minutes(1))) func histogramsRenderFromBucketsWhateverTheSampleCount() throws {
        var snap = MetricsSnapshot()
        snap.wakeToRun.record(4_000, count: 1 << 40)
        snap.wakeToRun.record(2_000_000, count: 3)
        snap.runLength.record(700, count: 5)
        let endpoint = MetricsEndpoint(topWorkers: 0)
        endpoint.publish(snap)
        endpoint.publish(snap)  // unchanged: nothing doubles
        let (samples, types) = try Self.parse(String(decoding: endpoint.body, as: UTF8.self))
        #expect(types["umcgtop_wake_to_run_seconds"] == "histogram")
        func value(_ name: String, le: String? = nil) -> Double? {
            samples.first { $0.name == name && $0.labels["le"] == le }?.value
        }
        let n = Double(UInt64(1) << 40)
        #expect(value("umcgtop_wake_to_run_seconds_count") == n + 3)
        #expect(value("umcgtop_wake_to_run_seconds_bucket", le: "2.5e-06") == 0)
        #expect(value("umcgtop_wake_to_run_seconds_bucket", le: "5e-06") == n)
        #expect(value("umcgtop_wake_to_run_seconds_bucket", le: "0.001") == n)
        #expect(value("umcgtop_wake_to_run_seconds_bucket", le: "0.0025") == n + 3)
        #expect(value("umcgtop_wake_to_run_seconds_bucket", le: "+Inf") == n + 3)
        let sum = try #require(value("umcgtop_wake_to_run_seconds_sum"))
        #expect(abs(sum - (4_000 * n + 6_000_000) / 1e9) < 1e-6 * sum)
        #expect(value("umcgtop_run_length_seconds_bucket", le: "1e-06") == 5)
        #expect(value("umcgtop_run_length_seconds_count") == 5)
    }

    @Test func tenThousandWorkersGiveABoundedNumberOfSeries() throws {
        let agg = Self.aggregator(workers: 10_000)
        let endpoint = MetricsEndpoint(topWorkers: 20)
        endpoint.publish(agg.metricsSnapshot(topWorkers: endpoint.topWorkerCount))
        let body = endpoint.body
        let (samples, _) = try Self.parse(String(decoding: body, as: UTF8.self))
        let workerSeries = samples.filter { $0.labels["worker"] != nil }
        let distinctWorkers = Set(workerSeries.compactMap { $0.labels["worker"] })
        #expect(distinctWorkers.count == 21)  // top 20 + "other"
        #expect(workerSeries.count == 21 * 8)
        #expect(samples.count < 400, "\(samples.count) series")
        #expect(body.count < 200_000, "\(body.count) bytes")
        let switches = samples.filter { $0.name == "umcgtop_worker_switches_total" }.reduce(0) { $0 + $1.value }
        #expect(switches == Double((0..<10_000).reduce(0) { $0 + $1 % 7 + 1 }))
        #expect(samples.first { $0.name == "umcgtop_workers" }?.value == 10_000)
    }

    @Test func metricsBindsLoopbackOnlyUnlessAllowed() throws {
        for ok in ["127.0.0.1:9464", "localhost:0", "[::1]:9464", "127.1.2.3:80"] {
            #expect(throws: Never.self) { try DashboardCommand.parse(["--headless", "--metrics", ok]).validate() }
        }
        for remote in ["0.0.0.0:9464", "192.168.1.5:9464", "[::]:9464", "example.com:9464"] {
            #expect(throws: (any Error).self, "\(remote)") {
                try DashboardCommand.parse(["--headless", "--metrics", remote]).validate()
            }
            #expect(throws: Never.self) {
                try DashboardCommand.parse(["--headless", "--metrics", remote, "--metrics-allow-remote"]).validate()
            }
        }
        for bad in ["9464", "127.0.0.1:", "127.0.0.1:70000", ":9464"] {
            #expect(throws: (any Error).self, "\(bad)") { try DashboardCommand.parse(["--metrics", bad]).validate() }
        }
        #expect(throws: (any Error).self) { try DashboardCommand.parse(["--metrics-allow-remote"]).validate() }
        #expect(MetricsAddress("[::1]:9464") == MetricsAddress("::1:9464"))
    }
}
