import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// The umcg_ctl contract (docs/UMCG-ABI.md), each case once per backend in `ConformanceBackends.available`:
/// the emulation always, the kernel's umcg_ctl where `BackendSelector` detects it. Where no kernel is
/// detected (stock Linux), `KernelConformanceTests` is skipped with the selector's reason.
/// Cases that exercise emulation-only helpers are in `EmulationOnlyConformanceTests`.
@Suite struct ConformanceTests {
    /// An emulated backend with the suite's options (for the emulation-only cases and ThreadExitTests).
    static func backend(slice: UInt64 = 100_000_000, handoff: HandoffMode = .futex) throws -> EmulatedBackend {
        try EmulatedBackend(options: .init(handoff: handoff, sliceNanos: slice, maxWorkers: 16, maxServers: 4))
    }

    /// The arguments follow the selector: the emulation first, the kernel only where detected, and
    /// `--backend auto` picks the emulation wherever no kernel is detected.
    @Test func backendsFollowTheSelector() {
        let kinds = ConformanceBackends.available.map(\.kind)
        if ConformanceBackends.kernelDetected {
            #expect(ConformanceBackends.selection.kind == .kernel)
            #expect(kinds == [.emulated, .kernel])
        } else {
            #expect(ConformanceBackends.selection.kind == .emulated)
            #expect(kinds == [.emulated])
        }
    }

    @Test(arguments: ConformanceBackends.available)
    func invalidCommandsAndFlagsAreEINVAL(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        try onThread {
            #expect(throws: Errno.EINVAL) { try b.ctl(UMCGCommand(rawValue: 0)) }
            #expect(throws: Errno.EINVAL) { try b.ctl(UMCGCommand(rawValue: 7)) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wake, flags: 1) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wait, flags: 2) }
            try b.ctl(.unregister)  // a plain thread: 0, as in the klib (#10; was EINVAL)
        }
    }

    @Test(arguments: ConformanceBackends.available)
    func wakeWithoutIdleServerIsEAGAIN(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        #expect(throws: Errno.EAGAIN) { try b.ctl(.wake) }
    }

    @Test(arguments: ConformanceBackends.available)
    func registerWorkerRejectsBadIDs(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        try onThread {
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: (5 << 5) | 3) }
            // The klib (#10): EINVAL for non-zero next_tid, events or event_sz (id 0 itself is allowed,
            // see registerWorkerAllowsIDZero; the emulation rejected it before).
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, nextTid: 1, absTimeout: 1 << 5) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: 1 << 5, eventCount: 2) }
            let slot = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { slot.deallocate() }
            #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: 1 << 5, events: slot) }
        }
        if let counts = ConformanceBackend.registeredCounts(b) {  // nil on the kernel: it does not count
            #expect(counts.workers == 0)
        }
    }

    /// The klib (#10): REGISTER_WORKER accepts id 0; its events carry id 0. A worker's WAIT with
    /// non-zero next_tid, events or event_sz is EINVAL.
    @Test(arguments: ConformanceBackends.available)
    func registerWorkerAllowsIDZeroAndWorkerWaitChecksItsArguments(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: 0)
            do throws(Errno) { try b.ctl(.wait, eventCount: 2) } catch { p.log(error) }
            let slot = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { slot.deallocate() }
            do throws(Errno) { try b.ctl(.wait, events: slot) } catch { p.log(error) }
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: 0, seen: &seen)
            #expect(try s.switchTo(p.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: 0, type: .exit)])
        }
        t.join()
        #expect(p.loggedErrors == [.EINVAL, .EINVAL])
    }

    @Test(arguments: ConformanceBackends.available)
    func registeringAServerTwiceChangesNothing(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        try onThread {
            try b.ctl(.registerServer)
            // The klib only checks REGISTER_SERVER's arguments: 0, and the thread is still one server
            // (it was EINVAL here before).
            try b.ctl(.registerServer)
            if let counts = ConformanceBackend.registeredCounts(b) { #expect(counts.servers == 1) }
            if backend.kind == .emulated {
                // The emulation's own rule: a server does not become a worker (on the klib it would, and
                // block until switched to).
                #expect(throws: Errno.EINVAL) { try b.ctl(.registerWorker, absTimeout: 1 << 5) }
            }
            try b.ctl(.unregister)
        }
        if let counts = ConformanceBackend.registeredCounts(b) {  // nil on the kernel: it does not count
            #expect(counts.servers == 0)
        }
    }

    @Test(arguments: ConformanceBackends.available)
    func serverWaitPollAndDeadlines(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        try onServerThread(b) { (s) throws in
            #expect(throws: Errno.ETIMEDOUT) { try b.ctl(.wait, absTimeout: 1, events: s.events, eventCount: 2) }
            // The klib (#10): a NULL buffer blocks like any other and fails EFAULT only once there is an
            // event to write (KlibRuleConformanceTests), so with nothing pending a poll times out; CTX_SWITCH
            // looks the thread up first (tid 1 is not ours: ESRCH). Both were EFAULT up front before.
            #expect(throws: Errno.ETIMEDOUT) { try b.ctl(.wait, absTimeout: 1, events: nil, eventCount: 2) }
            #expect(throws: Errno.ESRCH) { try b.ctl(.ctxSwitch, nextTid: 1, events: nil, eventCount: 2) }
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

    @Test(arguments: ConformanceBackends.available)
    func workerWaitWithDeadlineGetsTimeoutAndETIMEDOUT(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            do throws(Errno) {
                try b.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 20_000_000)
            } catch { p.log(error) }
            // An already-passed deadline: TIMEOUT may arrive in the same CTX_SWITCH return as WAIT.
            do throws(Errno) { try b.ctl(.wait, absTimeout: 1) } catch { p.log(error) }
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
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

    @Test(arguments: ConformanceBackends.available)
    func workerFormCtxSwitchHandsTheServerOver(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
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
        try onServerThread(b) { (s) throws in
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

    @Test(arguments: ConformanceBackends.available)
    func umcgWakeWakesAnIdleServerWithNoEvent(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let result = ThreadLock<[UInt64]?>(nil)
        let server = try OSThread(name: "test-thread") {
            let s = ServerSide(backend: b)
            defer { s.free() }
            do throws(Errno) {
                try b.ctl(.registerServer)
                try b.ctl(
                    .wait, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: s.events, eventCount: 2)
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

    @Test(arguments: ConformanceBackends.available)
    func workerRegisteredBeforeAnyServerIsPickedUpLater(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        // The emulation shows the registration; on the kernel the worker's tid (awaited by spawnWorker)
        // is all there is to wait for.
        _ = waitUntil(seconds: 10) { ConformanceBackend.registeredCounts(b).map { $0.workers == 1 } ?? true }
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(p.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
    }
}
