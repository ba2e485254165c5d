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
        try onServerThread(b) { (s) throws in
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

    /// Audit (#10): a server thread that ended without UNREGISTER stayed registered: its slot was
    /// never freed (the fifth of four servers failed ENOMEM) and a WAKE routed to it was never read.
    @Test func aServerThreadEndingWithoutUnregisterIsUnregistered() throws {
        let b = try ConformanceTests.backend()  // four server slots
        for _ in 0..<20 {
            try onThread {
                let s = ServerSide(backend: b)
                defer { s.free() }
                try b.ctl(.registerServer)
                #expect(throws: Errno.ETIMEDOUT) {
                    try b.ctl(.wait, absTimeout: UMCGABI.pollTimeout, events: s.events, eventCount: 8)
                }
                // Ends without UNREGISTER.
            }
        }
        #expect(b.registeredCounts.servers == 0)
        // A server that ends with a WAKE in its queue hands it to the next server.
        let registered = Atomic<Bool>(false)
        let gate = Atomic<Bool>(false)
        let dead = try OSThread(name: "test-thread") {
            do throws(Errno) { try b.ctl(.registerServer) } catch { return }
            registered.store(true, ordering: .releasing)
            _ = waitUntil(seconds: 10) { gate.load(ordering: .acquiring) }
        }
        _ = waitUntil(seconds: 10) { registered.load(ordering: .acquiring) }
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        // The only server is busy (not waiting): the WAKE waits on the global list; then its thread ends.
        _ = waitUntil(seconds: 10) { b.list.approximateCount > 0 }
        gate.store(true, ordering: .releasing)
        dead.join()
        #expect(b.registeredCounts.servers == 0)
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(p.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(b.registeredCounts.workers == 0)
    }
}
