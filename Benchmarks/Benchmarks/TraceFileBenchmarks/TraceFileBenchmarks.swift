import Benchmark
import BenchmarkSupport
import UMCGTrace

/// The trace file: the chunk codec through `TraceWriter` / `TraceReader` (one million events per run,
/// to a file on tmpfs), and `TraceReader.seek(to:)` on a multi-second trace.
let benchmarks: @Sendable () -> Void = {
    let codec = CodecState()
    let codecConfig = umcgConfiguration(
        scaling: .mega, setup: { try codec.prepare() }, teardown: { codec.cleanUp() })

    // Encode: append 1M events (4 servers, 32 workers) and finish the file (end record, fsync, close).
    Benchmark("TraceWriter encode (1M events)", configuration: codecConfig) { benchmark in
        do {
            let writer = try TraceWriter(path: codec.writePath, info: codec.info, force: true)
            for i in benchmark.scaledIterations { try writer.append(codec.events[i]) }
            try writer.finish()
            blackHole(writer.bytesWritten)
        } catch {
            print("error: \(error)")
        }
    }

    // Decode: open (header + scan of every record's checksum) and read every record back.
    Benchmark("TraceReader decode (1M events)", configuration: codecConfig) { benchmark in
        do {
            let reader = try TraceReader.open(path: codec.readPath)
            var cursor = reader.makeCursor()
            var n = 0
            var checksum: UInt64 = 0
            while let record = try cursor.next() {
                if case .event(let e) = record { checksum &+= e.timestamp }
                n += 1
            }
            if n != benchmark.scaledIterations.count { print("error: read \(n) records") }
            blackHole(checksum)
        } catch {
            print("error: \(error)")
        }
    }

    // Open only: the header check and the scan of every record's header and checksum (no event decoding),
    // which is the part of decode a replay pays before its first frame.
    Benchmark("TraceReader open (scan of 1M events)", configuration: codecConfig) { benchmark in
        do {
            let reader = try TraceReader.open(path: codec.readPath)
            if reader.summary.events + reader.summary.gaps != UInt64(benchmark.scaledIterations.count) {
                print("error: scanned \(reader.summary.events) events")
            }
            blackHole(reader.summary)
        } catch {
            print("error: \(error)")
        }
    }

    // Round trip: write the file, open it and read every record back.
    Benchmark("TraceWriter+TraceReader round trip (1M events)", configuration: codecConfig) { benchmark in
        do {
            let writer = try TraceWriter(path: codec.writePath, info: codec.info, force: true)
            for i in benchmark.scaledIterations { try writer.append(codec.events[i]) }
            try writer.finish()
            let reader = try TraceReader.open(path: codec.writePath)
            var cursor = reader.makeCursor()
            var n = 0
            while try cursor.next() != nil { n += 1 }
            if n != benchmark.scaledIterations.count { print("error: read \(n) records") }
        } catch {
            print("error: \(error)")
        }
    }

    // Seek: an 8 s trace (1M events, keyframe every second as the live pump writes), random target times.
    let seek = SeekState()
    Benchmark(
        "TraceReader seek (8 s trace, 1K random times)",
        configuration: umcgConfiguration(scaling: .kilo, setup: { try seek.prepare() }, teardown: { seek.cleanUp() })
    ) { benchmark in
        guard let reader = seek.reader else { return }
        do {
            for i in benchmark.scaledIterations {
                let (snapshot, position) = try reader.seek(to: seek.targets[i % seek.targets.count])
                blackHole(snapshot)
                blackHole(position)
            }
        } catch {
            print("error: \(error)")
        }
    }

    // Seek and replay: seek, then read events up to the target time (what a replay jump does).
    Benchmark(
        "TraceReader seek + read to the time (8 s trace)",
        configuration: umcgConfiguration(scaling: .one, setup: { try seek.prepare() }, teardown: { seek.cleanUp() })
    ) { _ in
        guard let reader = seek.reader else { return }
        do {
            let target = seek.nextTarget()
            let (_, position) = try reader.seek(to: target)
            var cursor = reader.makeCursor(from: position)
            var n = 0
            while let record = try cursor.next() {
                if case .event(let e) = record, e.timestamp > target { break }
                n += 1
            }
            blackHole(n)
        } catch {
            print("error: \(error)")
        }
    }
}

/// Input of the codec benchmarks: 1M events in memory and a file of them to read.
final class CodecState {
    let info = SyntheticTrace.info(servers: 4, workers: 32)
    var events: [TraceEvent] = []
    let writePath = Scratch.path("encode")
    let readPath = Scratch.path("decode")

    /// Generates the events and the file to decode (once).
    func prepare() throws {
        if !events.isEmpty { return }
        events = SyntheticTrace.events(count: 1_000_000, seed: 42, servers: 4, workers: 32)
        let writer = try TraceWriter(path: readPath, info: info, force: true)
        for e in events { try writer.append(e) }
        try writer.finish()
    }

    /// Forgets the events and removes the scratch files (the next setup makes them again).
    func cleanUp() {
        events = []
        Scratch.remove(writePath)
        Scratch.remove(readPath)
    }
}

/// Input of the seek benchmarks: an 8-second trace on tmpfs and reproducible random target times.
final class SeekState {
    let path = Scratch.path("seek")
    var reader: TraceReader?
    var targets: [UInt64] = []
    private var next = 0

    /// Writes the trace, opens it and draws 1024 target times (once).
    func prepare() throws {
        if reader != nil { return }
        let info = SyntheticTrace.info(servers: 4, workers: 32)
        // 1M events 8 µs apart on average: 8 s of trace time.
        let events = SyntheticTrace.events(count: 1_000_000, seed: 7, servers: 4, workers: 32, meanGapNanos: 8_000)
        try SyntheticTrace.write(events, to: path, info: info, keyframeEvery: 1_000_000_000)
        let reader = try TraceReader.open(path: path)
        let first = reader.summary.firstTimestamp ?? 0
        let last = reader.summary.lastTimestamp ?? first
        var rng = SplitMix64(seed: 99)
        targets = (0..<1024).map { _ in UInt64.random(in: first...max(first, last), using: &rng) }
        self.reader = reader
    }

    /// The next of the precomputed target times, round robin.
    func nextTarget() -> UInt64 {
        defer { next = (next + 1) % max(1, targets.count) }
        return targets[next]
    }

    /// Closes the reader and removes the file.
    func cleanUp() {
        reader = nil
        Scratch.remove(path)
    }
}
