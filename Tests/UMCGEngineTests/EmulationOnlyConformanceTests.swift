import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Conformance cases that need the emulation's own helpers, so they run on `EmulatedBackend` only:
/// blocking sections (`enterBlocking`/`leaveBlocking`, `read`), which the kernel backend leaves to
/// the kernel (no-ops there), checkpoints (the kernel preempts on its own), and `interrupt(tid:)`,
/// the emulation's stand-in for a signal. The contract cases that hold for every backend are in
/// `ConformanceTests`.
@Suite struct EmulationOnlyConformanceTests {
    /// Emulation only: BLOCK comes from a blocking section (`enterBlocking`/`leaveBlocking`).
    @Test func fullLifecycleDeliversWakeWaitBlockWakeExit() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            // Registering twice is EINVAL.
            do throws(Errno) { try b.ctl(.registerWorker, absTimeout: 1 << 5) } catch { p.log(error) }
            try b.ctl(.wait)
            try b.enterBlocking()
            p.waitForGate()
            try b.leaveBlocking()
            try b.ctl(.unregister)
        }
        let log = try onThread { () throws -> [String] in
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            var seen: [UMCGEvent] = []
            let tid = p.tid.load(ordering: .acquiring)
            let id = UMCGABI.workerID(forTid: tid)
            try s.waitFor(.wake, id: id, seen: &seen)
            var log = ["\(seen[0].type!)"]
            // Not runnable while running: a second switch must fail, tested below via BLOCKED.
            log.append("\(try s.switchTo(tid)[0].type!)")  // WAIT
            log.append("\(try s.switchTo(tid)[0].type!)")  // BLOCK
            #expect(throws: Errno.EINVAL) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: 8) }
            p.openGate()
            seen = []
            try s.waitFor(.wake, id: id, seen: &seen)
            log.append("\(seen[0].type!)")
            log.append("\(try s.switchTo(tid)[0].type!)")  // EXIT
            #expect(throws: Errno.ESRCH) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: 8) }
            return log
        }
        t.join()
        #expect(log == ["WAKE", "WAIT", "BLOCK", "WAKE", "EXIT"])
        #expect(p.loggedErrors == [.EINVAL])
        #expect(b.registeredCounts.workers == 0)
    }

    /// Emulation only: preemption at `checkpoint()` after the slice (the kernel preempts on its own).
    @Test func preemptionAtCheckpointAfterTheSlice() throws {
        let b = try ConformanceTests.backend(slice: 5_000_000)
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            let start = SystemClock.monotonicNanos()
            var preempted = false
            while !preempted && SystemClock.monotonicNanos() - start < 5_000_000_000 {
                preempted = try b.checkpoint()
            }
            if !preempted { p.log(.ETIMEDOUT) }
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            let start = SystemClock.monotonicNanos()
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .preempt)])
            #expect(SystemClock.monotonicNanos() - start >= 5_000_000)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(p.loggedErrors.isEmpty)
        #expect(throws: Never.self) { try b.checkpoint() }  // a plain thread: no-op
    }

    /// Emulation only: the worker blocks in a blocking section.
    @Test func serverWaitForAWorkerToUnblock() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.enterBlocking()
            p.waitForGate()
            try b.leaveBlocking()
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .block)])
            // The klib (#10): WAIT(next_tid) takes no abs_timeout, events or event_sz (was: a poll that
            // timed out, and a deadline with a buffer for the pending events).
            #expect(throws: Errno.EINVAL) {
                try b.ctl(.wait, nextTid: tid, absTimeout: 1, events: s.events, eventCount: 8)
            }
            p.openGate()
            try b.ctl(.wait, nextTid: tid)
            seen = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(p.loggedErrors.isEmpty)
    }

    /// Emulation only: `interrupt(tid:)` stands in for a signal.
    @Test func interruptsGiveEINTRAndTheFlagResumesTheWait() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            do throws(Errno) { try b.ctl(.wait, flags: UMCGABI.waitFlagInterrupted) } catch { p.log(error) }
            p.openGate()  // tell the test we are in the WAIT
            do throws(Errno) { try b.ctl(.wait) } catch { p.log(error) }  // interrupted
            try b.ctl(.wait, flags: UMCGABI.waitFlagInterrupted)  // resumes; returns when switched to
            try b.ctl(.unregister)
        }
        let serverTid = Atomic<Int32>(0)
        let serverResult = ThreadLock<Errno?>(nil)
        let server = try OSThread(name: "test-thread") {
            serverTid.store(ThreadID.current(), ordering: .releasing)
            let s = ServerSide(backend: b)
            defer { s.free() }
            do throws(Errno) {
                try b.ctl(.registerServer)
                let tid = p.tid.load(ordering: .acquiring)
                var seen: [UMCGEvent] = []
                try s.waitFor(.wake, id: p.id, seen: &seen)
                seen = try s.switchTo(tid)  // the WAIT
                #expect(seen == [UMCGEvent(workerID: p.id, type: .wait)])
                // Now idle-wait forever: the test interrupts us.
                do throws(Errno) { try b.ctl(.wait, events: s.events, eventCount: 2) } catch {
                    serverResult.withLock { $0 = error }
                }
                #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
                try b.ctl(.unregister)
            } catch {
                serverResult.withLock { $0 = error }
            }
        }
        #expect(waitUntil(seconds: 10) { p.gate.load(ordering: .acquiring) == 1 })
        // Interrupt the worker until its WAIT returns EINTR (it may not be asleep yet: the flag stays pending).
        try b.interrupt(tid: p.tid.load(ordering: .acquiring))
        #expect(waitUntil(seconds: 10) { p.loggedErrors.count == 2 })
        #expect(throws: Errno.ESRCH) { try b.interrupt(tid: 0x7fff_fff0) }
        _ = waitUntil(seconds: 10) { b.idleMask.pointee.load(ordering: .acquiring) != 0 }
        try b.interrupt(tid: serverTid.load(ordering: .acquiring))
        server.join()
        t.join()
        #expect(p.loggedErrors == [.EINVAL, .EINTR])
        #expect(serverResult.withLock { $0 } == .EINTR)
    }

    /// Emulation only: the `read(fd:into:)` blocking-section helper.
    @Test func blockingReadHelperBlocksAndWakes() throws {
        let b = try ConformanceTests.backend()
        let (readEnd, writeEnd) = try FileDescriptor.pipe()
        let (rfd, wfd) = (readEnd.rawValue, writeEnd)
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            var byte: UInt8 = 0
            let n = try withUnsafeMutableBytes(of: &byte) { buf throws(Errno) in try b.read(fd: rfd, into: buf) }
            if n != 1 || byte != 42 { p.log(.EINVAL) }
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .block)])
            try wfd.writeAll([42])
            seen = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        try readEnd.close()
        try writeEnd.close()
        #expect(p.loggedErrors.isEmpty)
    }
}
