import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

/// `EmulatedBackend.sliceLeft()`: what the preload's preemption timer re-arms for, measured from the
/// server's switch to the worker (the `switchedAt` that `checkpoint()` also uses).
@Suite struct SliceLeftTests {
    @Test("sliceLeft counts down the running worker's slice, 0 once it is over, -1 on other threads")
    func countsDownTheSlice() throws {
        let slice: UInt64 = 50_000_000
        let b = try ConformanceTests.backend(slice: slice)
        #expect(b.sliceLeft() == -1)  // a plain thread
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            let first = b.sliceLeft()
            if !(first > 0 && first <= Int64(slice)) { p.log(.EINVAL) }
            let start = SystemClock.monotonicNanos()
            var left = first
            while left > 0 && SystemClock.monotonicNanos() - start < 5_000_000_000 { left = b.sliceLeft() }
            // Over: checkpoint() agrees and preempts; switched back to, a new slice starts.
            if left != 0 || SystemClock.monotonicNanos() - start < slice - UInt64(first) { p.log(.ETIMEDOUT) }
            if try !b.checkpoint() { p.log(.ESRCH) }
            let again = b.sliceLeft()
            if !(again > 0 && again <= Int64(slice)) { p.log(.EAGAIN) }
            try b.ctl(.unregister)
            if b.sliceLeft() != -1 { p.log(.EBADF) }
        }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            #expect(b.sliceLeft() == -1)  // a server
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .preempt)])
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(p.loggedErrors.isEmpty)
    }
}
