import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Records what an `EmulationObserver` is told, with the thread that told it.
final class RecordingObserver: EmulationObserver, @unchecked Sendable {
    // SAFETY: its one field is a lock.
    struct Call: Sendable, Equatable {
        var what: String
        var tid: Int32
    }
    let calls = ThreadLock<[Call]>([])

    private func note(_ what: String) { calls.withLock { $0.append(Call(what: what, tid: ThreadID.current())) } }

    var all: [Call] { calls.withLock { $0 } }

    override func workerRegistered(_ worker: Int, tid: Int32) { note("registered w\(worker) tid\(tid)") }
    override func workerResumed(_ worker: Int, server: Int, switchedAt: UInt64) {
        note("resumed w\(worker) s\(server)\(switchedAt > 0 ? "" : " at 0")")
    }
    override func workerStopping(_ worker: Int, server: Int, as stop: EmulatedStop, next: Int) {
        switch stop {
        case .block(let reason): note("block w\(worker) s\(server) reason\(reason)")
        case .wait: note("wait w\(worker) s\(server)")
        case .handoff: note("handoff w\(worker) s\(server) to w\(next)")
        case .preempt: note("preempt w\(worker) s\(server)")
        }
    }
    override func workerWoke(_ worker: Int) { note("woke w\(worker)") }
    override func workerTimedOut(_ worker: Int) { note("timeout w\(worker)") }
    override func workerExited(_ worker: Int, server: Int, threadEnded: Bool) {
        note("exit w\(worker) s\(server)\(threadEnded ? " ended" : "")")
    }
    override func serverRegistered(_ server: Int, tid: Int32) { note("server s\(server) tid\(tid)") }
    override func serverUnregistered(_ server: Int) { note("server-gone s\(server)") }
    override func serverSwitched(_ server: Int, worker: Int, startedAt: UInt64, events: Int) {
        note("switched s\(server) w\(worker) events\(events)")
    }
    override func serverIdle(_ server: Int) { note("idle s\(server)") }
    override func serverWaitEnded(_ server: Int, events: Int, slept: Bool) {}
}

/// The observer hook of `EmulatedBackend` (issue #12, what libumcg.so publishes): each transition is
/// reported once, on the thread performing it, in the order that thread went through them.
@Suite struct EmulationObserverTests {
    static func backend(_ observer: RecordingObserver, slice: UInt64 = 100_000_000) throws -> EmulatedBackend {
        try EmulatedBackend(
            options: .init(handoff: .futex, sliceNanos: slice, maxWorkers: 16, maxServers: 4), observer: observer)
    }

    @Test("register, switch, WAIT, BLOCK with its reason, WAKE, UNREGISTER: each once, on the worker's own thread")
    func workerLifecycle() throws {
        let o = RecordingObserver()
        let b = try Self.backend(o)
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.wait)
            try b.enterBlocking(reason: BlockReason.sleep.rawValue)
            p.waitForGate()
            try b.leaveBlocking()
            try b.ctl(.unregister)
        }
        let serverTid = try onThread { () throws -> Int32 in
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            let tid = p.tid.load(ordering: .acquiring)
            let id = UMCGABI.workerID(forTid: tid)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: id, seen: &seen)
            _ = try s.switchTo(tid)  // WAIT
            _ = try s.switchTo(tid)  // BLOCK
            p.openGate()
            seen = []
            try s.waitFor(.wake, id: id, seen: &seen)
            _ = try s.switchTo(tid)  // EXIT
            return ThreadID.current()
        }
        t.join()
        let workerTid = p.tid.load(ordering: .acquiring)
        let calls = o.all
        let mine = calls.filter { $0.tid == workerTid }.map(\.what)
        #expect(
            mine == [
                "registered w0 tid\(workerTid)", "resumed w0 s0", "wait w0 s0", "resumed w0 s0",
                "block w0 s0 reason\(BlockReason.sleep.rawValue)", "woke w0", "resumed w0 s0", "exit w0 s0",
            ])
        let server = calls.filter { $0.tid == serverTid }.map(\.what)
        #expect(server.first == "server s0 tid\(serverTid)")
        #expect(server.filter { $0.hasPrefix("switched s0 w0") }.count == 3)
        #expect(server.last == "server-gone s0")
        #expect(Set(calls.map(\.tid)) == [workerTid, serverTid], "no call from any other thread")
    }

    @Test("a worker CTX_SWITCH is a handoff naming the next worker, which reports its own resume")
    func handoffAndPreempt() throws {
        let o = RecordingObserver()
        let b = try Self.backend(o, slice: 1_000_000)
        let (tb, pb) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            // Runs past its slice, then the checkpoint preempts it.
            let start = SystemClock.monotonicNanos()
            while SystemClock.monotonicNanos() - start < 3_000_000 {}
            _ = try b.checkpoint()
            try b.ctl(.unregister)
        }
        let (ta, pa) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            p.waitForGate()
            try b.ctl(.ctxSwitch, nextTid: pb.tid.load(ordering: .acquiring))
            try b.ctl(.unregister)
        }
        try onThread { () throws in
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            let ta = pa.tid.load(ordering: .acquiring)
            let tb = pb.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: UMCGABI.workerID(forTid: ta), seen: &seen)
            try s.waitFor(.wake, id: UMCGABI.workerID(forTid: tb), seen: &seen)
            pa.openGate()
            // A hands the server to B; B runs until it is preempted; A's WAIT arrives meanwhile.
            seen = try s.switchTo(ta)
            try s.waitFor(.wait, id: UMCGABI.workerID(forTid: ta), seen: &seen)
            _ = try s.switchTo(ta)  // A: EXIT
            _ = try s.switchTo(tb)  // B (preempted): EXIT
        }
        ta.join()
        tb.join()
        let calls = o.all
        let aTid = pa.tid.load(ordering: .acquiring)
        let bTid = pb.tid.load(ordering: .acquiring)
        let a = calls.filter { $0.tid == aTid }.map(\.what)
        let bCalls = calls.filter { $0.tid == bTid }.map(\.what)
        let aIndex = try #require(a.first.flatMap { $0.split(separator: " ").dropFirst().first }.map(String.init))
        let bIndex = try #require(bCalls.first.flatMap { $0.split(separator: " ").dropFirst().first }.map(String.init))
        #expect(a.contains("handoff \(aIndex) s0 to \(bIndex)"))
        #expect(a.filter { $0.hasPrefix("resumed") }.count == 2)
        #expect(
            bCalls.filter { $0.hasPrefix("resumed \(bIndex) s0") }.count == 2, "by the handoff, after the preemption")
        #expect(bCalls.contains("preempt \(bIndex) s0"))
        #expect(bCalls.last == "exit \(bIndex) s0")
    }
}
