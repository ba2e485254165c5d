import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// The umcg_ctl contract (docs/UMCG-ABI.md) against the emulated backend. A kernel backend is never
/// detected on Linux, so only the emulation runs here.
@Suite struct ConformanceTests {
    static func backend(slice: UInt64 = 100_000_000, handoff: HandoffMode = .futex) throws -> EmulatedBackend {
        try EmulatedBackend(options: .init(handoff: handoff, sliceNanos: slice, maxWorkers: 16, maxServers: 4))
    }

    @Test func invalidCommandsAndFlagsAreEINVAL() throws {
        let b = try Self.backend()
        try onThread {
            #expect(throws: Errno.EINVAL) { try b.ctl(UMCGCommand(rawValue: 0)) }
            #expect(throws: Errno.EINVAL) { try b.ctl(UMCGCommand(rawValue: 7)) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wake, flags: 1) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wait, flags: 2) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.unregister) }  // a plain thread
        }
    }

    @Test func wakeWithoutIdleServerIsEAGAIN() throws {
        let b = try Self.backend()
        #expect(throws: Errno.EAGAIN) { try b.ctl(.wake) }
    }

    @Test func registerWorkerRejectsBadIDs() throws {
        let b = try Self.backend()
        try onThread {
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: 0) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: (5 << 5) | 3) }
        }
        #expect(b.registeredCounts.workers == 0)
    }

    @Test func registeringAServerTwiceIsEINVAL() throws {
        let b = try Self.backend()
        try onThread {
            try b.ctl(.registerServer)
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerServer) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: 1 << 5) }
            try b.ctl(.unregister)
        }
        #expect(b.registeredCounts.servers == 0)
    }

    @Test func serverWaitPollAndDeadlines() throws {
        let b = try Self.backend()
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            #expect(throws: Errno.ETIMEDOUT) { try b.ctl(.wait, absTimeout: 1, events: s.events, eventCount: 2) }
            #expect(throws: Errno.EFAULT) { try b.ctl(.wait, events: nil, eventCount: 2) }
            #expect(throws: Errno.EFAULT) { try b.ctl(.ctxSwitch, nextTid: 1, events: nil, eventCount: 2) }
            let deadline = SystemClock.realtimeNanos() + 20_000_000
            #expect(throws: Errno.ETIMEDOUT) { try b.ctl(.wait, absTimeout: deadline, events: s.events, eventCount: 2) }
            #expect(SystemClock.realtimeNanos() >= deadline)
            #expect(throws: Errno.ESRCH) {
                try b.ctl(.ctxSwitch, nextTid: 0x7fff_fff0, events: s.events, eventCount: 2)
            }
            #expect(throws: Errno.EINVAL) {  // switching to oneself
                try b.ctl(.ctxSwitch, nextTid: ThreadID.current(), events: s.events, eventCount: 2)
            }
        }
    }

    @Test func fullLifecycleDeliversWakeWaitBlockWakeExit() throws {
        let b = try Self.backend()
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

    @Test func workerWaitWithDeadlineGetsTimeoutAndETIMEDOUT() throws {
        let b = try Self.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            do throws(Errno) {
                try b.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 20_000_000)
            } catch { p.log(error) }
            // An already-passed deadline: TIMEOUT may arrive in the same CTX_SWITCH return as WAIT.
            do throws(Errno) { try b.ctl(.wait, absTimeout: 1) } catch { p.log(error) }
            try b.ctl(.unregister)
        }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            let tid = p.tid.load(ordering: .acquiring)
            let id = UMCGABI.workerID(forTid: tid)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: id, seen: &seen)
            let start = SystemClock.monotonicNanos()
            seen = try s.switchTo(tid)  // TIMEOUT may already be in the same return under load
            #expect(seen.first == UMCGEvent(workerID: id, type: .wait))
            try s.waitFor(.timeout, id: id, seen: &seen)
            #expect(SystemClock.monotonicNanos() - start >= 15_000_000)
            seen = try s.switchTo(tid)
            #expect(seen.first == UMCGEvent(workerID: id, type: .wait))
            try s.waitFor(.timeout, id: id, seen: &seen)
            #expect(try s.switchTo(tid).first == UMCGEvent(workerID: id, type: .exit))
        }
        t.join()
        #expect(p.loggedErrors == [.ETIMEDOUT, .ETIMEDOUT])
    }

    @Test func workerFormCtxSwitchHandsTheServerOver() throws {
        let b = try Self.backend()
        let (tb, pb) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.wait)
            try b.ctl(.unregister)
        }
        let (ta, pa) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            do throws(Errno) { try b.ctl(.ctxSwitch, nextTid: ThreadID.current()) } catch { p.log(error) }  // self
            try b.ctl(.ctxSwitch, nextTid: pb.tid.load(ordering: .acquiring))
            try b.ctl(.unregister)
        }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            let a = pa.tid.load(ordering: .acquiring)
            let bt = pb.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: pa.id, seen: &seen)
            try s.waitFor(.wake, id: pb.id, seen: &seen)
            // A runs, hands the server to B; B yields: WAIT(B) first, then the queued WAIT(A).
            let ev = try s.switchTo(a)
            #expect(ev == [UMCGEvent(workerID: pb.id, type: .wait), UMCGEvent(workerID: pa.id, type: .wait)])
            #expect(try s.switchTo(a) == [UMCGEvent(workerID: pa.id, type: .exit)])
            #expect(try s.switchTo(bt) == [UMCGEvent(workerID: pb.id, type: .exit)])
        }
        ta.join()
        tb.join()
        #expect(pa.loggedErrors == [.EINVAL])
    }

    @Test func preemptionAtCheckpointAfterTheSlice() throws {
        let b = try Self.backend(slice: 5_000_000)
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
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
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

    @Test func serverWaitForAWorkerToUnblock() throws {
        let b = try Self.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.enterBlocking()
            p.waitForGate()
            try b.leaveBlocking()
            try b.ctl(.unregister)
        }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .block)])
            #expect(throws: Errno.ETIMEDOUT) {
                try b.ctl(.wait, nextTid: tid, absTimeout: 1, events: s.events, eventCount: 8)
            }
            p.openGate()
            try b.ctl(
                .wait, nextTid: tid, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: s.events, eventCount: 8
            )
            seen = s.collect()
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(p.loggedErrors.isEmpty)
    }

    @Test func umcgWakeWakesAnIdleServerWithNoEvent() throws {
        let b = try Self.backend()
        let result = ThreadLock<[UInt64]?>(nil)
        let server = try OSThread(name: "test-thread") {
            let s = ServerSide(backend: b)
            defer { s.free() }
            do throws(Errno) {
                try b.ctl(.registerServer)
                try b.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: s.events, eventCount: 2)
                result.withLock { $0 = [s.events[0]] }
                try b.ctl(.unregister)
            } catch {
                result.withLock { $0 = [UInt64(error.rawValue) | 1 << 63] }
            }
        }
        var woke = false
        _ = waitUntil(seconds: 10) {
            do throws(Errno) {
                try b.ctl(.wake)
                woke = true
            } catch {}
            return woke
        }
        server.join()
        #expect(woke)
        #expect(result.withLock { $0 } == [0])
    }

    @Test func interruptsGiveEINTRAndTheFlagResumesTheWait() throws {
        let b = try Self.backend()
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

    @Test func workerRegisteredBeforeAnyServerIsPickedUpLater() throws {
        let b = try Self.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        _ = waitUntil(seconds: 10) { b.registeredCounts.workers == 1 }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(p.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
    }

    @Test func blockingReadHelperBlocksAndWakes() throws {
        let b = try Self.backend()
        let (readEnd, writeEnd) = try FileDescriptor.pipe()
        let (rfd, wfd) = (readEnd.rawValue, writeEnd)
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            var byte: UInt8 = 0
            let n = try withUnsafeMutableBytes(of: &byte) { buf throws(Errno) in try b.read(fd: rfd, into: buf) }
            if n != 1 || byte != 42 { p.log(.EINVAL) }
            try b.ctl(.unregister)
        }
        try onThread {
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
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
