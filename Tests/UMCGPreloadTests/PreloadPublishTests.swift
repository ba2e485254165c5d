import Foundation
import Testing
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// libumcg.so publishing a C program's events and counters (issue #12): Tests/UMCGPreloadTests/c/publish.c
/// runs under the preload with UMCGTOP_PUBLISH=1 and its region in a directory of this test
/// (UMCGTOP_SHM_DIR); the test attaches as a viewer would (`AttachedRegion`, which does not
/// interpose anything in the runner), drains the rings and compares events, counters and names.
@Suite(.enabled(if: Preload.libraryExists, "build the library first: swift build --product umcg (scripts/test does)"))
struct PreloadPublishTests {
    /// Rounds of UMCG_WAIT per worker.
    static let rounds = 200

    /// The program, compiled once per test process.
    static let program = Preload.compiled("publish.c")

    /// A fresh region directory.
    /// (On tmpfs, as /dev/shm itself: a region is reserved in full when it is made.)
    static func regionDirectory() -> String {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : Preload.scratch
        let dir = "\(base)/umcgtop-preload-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o700)
        return dir
    }

    /// Starts publish.c with `args` after the rounds and the go file, publishing into `dir` unless `publish` is false.
    static func start(
        dir: String, publish: Bool = true, extra: [String] = [], environment: [String: String] = [:]
    ) throws -> (Preload.Running, go: String) {
        let exe = try program.get()
        let go = "\(dir)/go"
        var env = environment.merging(["LD_PRELOAD": Preload.library, "UMCGTOP_SHM_DIR": dir]) { $1 }
        if publish { env["UMCGTOP_PUBLISH"] = "1" }
        return (try Preload.Running(exe, ["\(rounds)", go] + extra, environment: env), go)
    }

    /// Lets the program end (creates its go file) and returns how it ended.
    /// Removes the go file and the region directory when nothing else is left in it.
    static func release(_ running: Preload.Running, go: String) -> Preload.Result {
        // A go file that cannot be created leaves the program waiting: `finish` then reports the timeout.
        _ = FileManager.default.createFile(atPath: go, contents: Data())
        let result = running.finish(timeout: 30)
        unlink(go)
        rmdir((go as NSString).deletingLastPathComponent)
        return result
    }

    /// Bumps the request word and waits (at most 10 s) for a snapshot newer than the one before.
    static func freshSnapshot(_ region: AttachedRegion) -> Snapshot? {
        let before = region.latestSnapshot()?.timestamp ?? 0
        region.requestSnapshot()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let s = region.latestSnapshot(), s.timestamp > before { return s }
            usleep(10_000)
        }
        return nil
    }

    /// Attaches to `pid`'s region as its consumer and takes what a viewer sees at once: every event
    /// in the rings, a snapshot taken on request after them, and the run info.
    static func consume(
        pid: Int32, dir: String
    ) throws -> (region: AttachedRegion, events: [TraceEvent], snapshot: Snapshot, info: RunInfo) {
        let region = try AttachedRegion.open(pid: pid, directory: dir)
        #expect(region.acquireConsumer())
        var events: [TraceEvent] = []
        _ = region.drain { events.append($0) }
        let snapshot = try #require(freshSnapshot(region), "no snapshot published on request")
        let info = try #require(try region.readInfo())
        return (region, events, snapshot, info)
    }

    @Test("events, counters and names of two workers match what the program did; the region goes at exit")
    func eventsCountersAndNames() throws {
        let dir = Self.regionDirectory()
        let (running, go) = try Self.start(dir: dir)
        var ended: Preload.Result?
        defer { if ended == nil { _ = Self.release(running, go: go) } }
        let ready = running.waitForLine(startingWith: "ready", timeout: 30)
        try #require(ready != nil, "the program did not get ready: \(running.stdout)")

        let (region, events, snapshot, info) = try Self.consume(pid: running.pid, dir: dir)
        #expect(region.backendName == "emulated")
        #expect(info.backend == "emulated")

        let workers = info.entities.filter { $0.kind == .worker }
        #expect(Set(workers.map(\.name)) == ["pub-alpha", "pub-beta"])
        #expect(info.entities.filter { $0.kind == .server }.map(\.name) == ["pub-server"])
        #expect(events.allSatisfy { $0.kind != .dropped }, "no ring dropped anything")
        #expect(snapshot.droppedEvents == 0)

        let n = UInt64(Self.rounds)
        for entity in workers {
            let mine = events.filter { $0.worker == entity.id }
            func count(_ kind: TraceEventKind) -> UInt64 { UInt64(mine.filter { $0.kind == kind }.count) }
            #expect(count(.register) == 1, "\(entity.name)")
            #expect(count(.switchTo) == n + 2, "\(entity.name): one switch after REGISTER, each WAIT and the WAKE")
            #expect(count(.wait) == n, "\(entity.name)")
            #expect(count(.block) == 1, "\(entity.name)")
            #expect(count(.wake) == 1, "\(entity.name)")
            #expect(count(.exit) == 1, "\(entity.name)")
            #expect(mine.first { $0.kind == .block }?.arg == BlockReason.sleep.rawValue, "usleep blocks for sleep")
            #expect(mine.first { $0.kind == .exit }?.arg == ExitReason.unregistered.rawValue)
            #expect(mine.first { $0.kind == .register }?.arg == UInt64(UInt32(bitPattern: entity.tid)))
            // A worker's events come in the order it went through them.
            #expect(mine.first?.kind == .register)
            #expect(mine.last?.kind == .exit)
            #expect(zip(mine, mine.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })

            let c = try #require(snapshot.workers.first { $0.id == entity.id }, "\(entity.name) in the snapshot")
            #expect(c.state == .exited)
            #expect(c.switches == count(.switchTo))
            #expect(c.waits == count(.wait))
            #expect(c.blocks == count(.block))
            #expect(c.wakes == count(.wake))
            #expect(c.preemptions == count(.preempt))
            #expect(c.timeouts == count(.timeout))
            #expect(c.blockedNanos >= 2_000_000, "usleep(2000) blocked at least 2 ms")
            #expect(c.runNanos > 0)
        }
        let server = try #require(snapshot.servers.first)
        #expect(server.switches == 2 * (n + 2))
        #expect(server.events >= 2 * (n + 2) + 4, "stop events plus the WAKEs")

        region.detach()
        let path = "\(dir)/umcgtop.\(running.pid)"
        #expect(FileManager.default.fileExists(atPath: path))
        let result = Self.release(running, go: go)
        ended = result
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path), "the region is removed at exit")
    }

    @Test("a worker registered after the region's rings ran out: its events count as dropped, its counters stay exact")
    func outOfRings() throws {
        let dir = Self.regionDirectory()
        // Two rings: the server's and pub-alpha's (they register first); pub-beta gets none.
        let (running, go) = try Self.start(dir: dir, environment: ["UMCGTOP_RINGS": "2"])
        var ended: Preload.Result?
        defer { if ended == nil { _ = Self.release(running, go: go) } }
        try #require(running.waitForLine(startingWith: "ready", timeout: 30) != nil, "\(running.stdout)")
        let (region, events, snapshot, info) = try Self.consume(pid: running.pid, dir: dir)
        let beta = try #require(info.entities.first { $0.name == "pub-beta" })
        let n = UInt64(Self.rounds)
        #expect(!events.contains { $0.worker == beta.id }, "no ring, no events")
        // REGISTER, N + 2 switches, N WAITs, BLOCK, WAKE, EXIT.
        #expect(snapshot.droppedEvents == 2 * n + 6)
        let c = try #require(snapshot.workers.first { $0.id == beta.id })
        #expect(c.switches == n + 2)
        #expect(c.waits == n)
        #expect(c.state == .exited)
        #expect(events.filter { $0.kind == .switchTo }.count == Int(n) + 2, "pub-alpha's are all there")
        region.detach()
        let result = Self.release(running, go: go)
        ended = result
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(
        "with no viewer the rings fill: each keeps its first events, every later one counts as dropped, counters stay exact"
    )
    func fullRingsWithNoViewer() throws {
        let dir = Self.regionDirectory()
        // 256-slot rings; each worker makes 2N + 6 events (N = 200) before anyone drains.
        let capacity = 256
        let (running, go) = try Self.start(dir: dir, environment: ["UMCGTOP_RING_CAPACITY": "\(capacity)"])
        var ended: Preload.Result?
        defer { if ended == nil { _ = Self.release(running, go: go) } }
        try #require(running.waitForLine(startingWith: "ready", timeout: 30) != nil, "\(running.stdout)")
        let (region, events, snapshot, info) = try Self.consume(pid: running.pid, dir: dir)
        let n = Self.rounds
        #expect(2 * n + 6 > capacity, "the rings must overflow")
        var lost: UInt64 = 0
        for entity in info.entities where entity.kind == .worker {
            let mine = events.filter { $0.worker == entity.id }
            // No push succeeded after the first drop, so no marker yet: the run is pending.
            #expect(mine.count == capacity, "\(entity.name)")
            #expect(!mine.contains { $0.kind == .dropped }, "\(entity.name)")
            // REGISTER, the switch after it, then a WAIT and a switch per round, in order.
            #expect(mine.first?.kind == .register)
            let rounds = mine.dropFirst(2)
            #expect(rounds.enumerated().allSatisfy { $1.kind == ($0 % 2 == 0 ? .wait : .switchTo) }, "\(entity.name)")
            lost += UInt64(2 * n + 6 - capacity)
            let c = try #require(snapshot.workers.first { $0.id == entity.id })
            #expect(c.switches == UInt64(n) + 2)
            #expect(c.waits == UInt64(n))
            #expect(c.blocks == 1 && c.wakes == 1)
            #expect(c.state == .exited)
        }
        #expect(info.entities.filter { $0.kind == .worker }.count == 2)
        let serverEvents = events.filter { $0.worker == TraceEvent.noWorker }
        #expect(serverEvents.count < capacity, "the server's ring did not fill")
        #expect(snapshot.droppedEvents == lost)
        region.detach()
        let result = Self.release(running, go: go)
        ended = result
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("without UMCGTOP_PUBLISH no region is created")
    func offByDefault() throws {
        let dir = Self.regionDirectory()
        let (running, go) = try Self.start(dir: dir, publish: false)
        let ready = running.waitForLine(startingWith: "ready", timeout: 30)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let result = Self.release(running, go: go)
        #expect(ready != nil, "\(result.stderr)")
        #expect(files.isEmpty, "\(files)")
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("a forked child that uses UMCG publishes its own region, not into its parent's, and removes only its own")
    func forkedChild() throws {
        let dir = Self.regionDirectory()
        let (running, go) = try Self.start(dir: dir, extra: ["fork"])
        var ended: Preload.Result?
        defer { if ended == nil { _ = Self.release(running, go: go) } }
        try #require(running.waitForLine(startingWith: "ready", timeout: 30) != nil, "\(running.stdout)")
        let childLine = try #require(running.stdout.split(separator: "\n").first { $0.hasPrefix("child ") })
        let childPID = try #require(Int32(childLine.dropFirst("child ".count)))
        #expect(running.stdout.contains("child-region yes"), "the child created a region of its own")

        let region = try AttachedRegion.open(pid: running.pid, directory: dir)
        #expect(region.targetState == .live)
        #expect(region.acquireConsumer())
        var events: [TraceEvent] = []
        _ = region.drain { events.append($0) }
        #expect(Self.freshSnapshot(region) != nil)
        let info = try #require(try region.readInfo())
        #expect(!info.entities.contains { $0.name == "pub-child" }, "the child's worker is not in the parent's region")
        #expect(Set(info.entities.filter { $0.kind == .worker }.map(\.name)) == ["pub-alpha", "pub-beta"])
        #expect(events.filter { $0.kind == .register }.count == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/umcgtop.\(childPID)"), "the child removed its own")
        region.detach()

        let result = Self.release(running, go: go)
        ended = result
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/umcgtop.\(running.pid)"))
    }
}
