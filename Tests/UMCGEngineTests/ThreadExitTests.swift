import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

@Suite struct ThreadExitTests {
    @Test func aWorkerThreadEndingWithoutUnregisterSendsExit() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.wait)
            // Returns without UNREGISTER: the thread ends while running.
        }
        let (t2, p2) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.enterBlocking()
            // Ends inside a blocking section.
        }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            try s.waitFor(.wake, id: p2.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .wait)])
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
            seen = try s.switchTo(p2.tid.load(ordering: .acquiring))
            #expect(seen.first == UMCGEvent(workerID: p2.id, type: .block))
            try s.waitFor(.exit, id: p2.id, seen: &seen)  // queued: maybe already in the same return
        }
        t.join()
        t2.join()
        #expect(b.registeredCounts.workers == 0)
    }
}
