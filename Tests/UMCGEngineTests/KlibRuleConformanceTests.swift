import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

/// The Nanos klib's rules (#10 item 1), one case each, on every available backend: the emulation here
/// and the kernel's umcg_ctl wherever one is detected. Each failed on the emulation before its fix.
@Suite struct KlibRuleConformanceTests {
    static let unknownTid: Int32 = 0x7fff_fff0

    /// Server WAIT for events needs room for two events: `event_sz < 2` is EINVAL, whatever the
    /// buffer; a poll (`abs_timeout == 1`) with nothing pending is ETIMEDOUT at once, NULL buffer or not.
    @Test(arguments: ConformanceBackends.available)
    func serverWaitNeedsTwoSlotsAndPolls(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        try onServerThread(b) { (s) throws in
            for n: Int32 in [1, 0, -1] {
                #expect(throws: Errno.EINVAL) {
                    try b.ctl(.wait, absTimeout: UMCGABI.pollTimeout, events: s.events, eventCount: n)
                }
            }
            #expect(throws: Errno.EINVAL) {
                try b.ctl(.wait, absTimeout: UMCGABI.pollTimeout, events: nil, eventCount: 1)
            }
            #expect(throws: Errno.ETIMEDOUT) {
                try b.ctl(.wait, absTimeout: UMCGABI.pollTimeout, events: s.events, eventCount: 2)
            }
            #expect(throws: Errno.ETIMEDOUT) {
                try b.ctl(.wait, absTimeout: UMCGABI.pollTimeout, events: nil, eventCount: 2)
            }
        }
    }

    /// Server WAIT(next_tid) takes no abs_timeout, events or event_sz: EINVAL, checked before the
    /// thread lookup (ESRCH for an unknown tid only when they are all 0).
    @Test(arguments: ConformanceBackends.available)
    func serverWaitForAWorkerTakesNoTimeoutOrBuffer(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        try onServerThread(b) { (s) throws in
            let tid = Self.unknownTid
            #expect(throws: Errno.ESRCH) { try b.ctl(.wait, nextTid: tid) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wait, nextTid: tid, absTimeout: 5) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wait, nextTid: tid, absTimeout: UMCGABI.pollTimeout) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wait, nextTid: tid, events: s.events) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.wait, nextTid: tid, eventCount: 2) }
        }
    }

    /// Server CTX_SWITCH looks the thread up first (ESRCH for an unknown tid, EINVAL for a thread that
    /// is not a worker), before EFAULT and the argument checks; then `abs_timeout != 0` or
    /// `event_sz <= 0` is EINVAL and the worker does not run.
    @Test(arguments: ConformanceBackends.available)
    func serverSwitchLooksTheThreadUpFirst(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let (t, p) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            #expect(throws: Errno.ESRCH) { try b.ctl(.ctxSwitch, nextTid: Self.unknownTid, events: nil, eventCount: 0) }
            #expect(throws: Errno.ESRCH) { try b.ctl(.ctxSwitch, nextTid: Self.unknownTid, absTimeout: 5) }
            // This thread is a server, not a worker.
            #expect(throws: Errno.EINVAL) {
                try b.ctl(.ctxSwitch, nextTid: ThreadID.current(), events: nil, eventCount: 2)
            }
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            let tid = p.tid.load(ordering: .acquiring)
            #expect(throws: Errno.EINVAL) {
                try b.ctl(.ctxSwitch, nextTid: tid, absTimeout: 5, events: s.events, eventCount: 2)
            }
            #expect(throws: Errno.EINVAL) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: 0) }
            #expect(throws: Errno.EINVAL) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: -1) }
            // None of those ran it: its first run ends with its EXIT.
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
    }

    /// A worker is IDLE until a server took its WAKE: CTX_SWITCH to it is EINVAL until then (it used to
    /// run, and the WAKE arrived afterwards, stale).
    @Test(arguments: ConformanceBackends.available)
    func aWorkerIsNotSwitchableUntilItsWakeIsTaken(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let (t, p) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        if ConformanceBackend.registeredCounts(b) != nil {
            _ = waitUntil(seconds: 10) { ConformanceBackend.registeredCounts(b)?.workers == 1 }
        }
        try onServerThread(b) { (s) throws in
            let tid = p.tid.load(ordering: .acquiring)
            #expect(throws: Errno.EINVAL) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: 8) }
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
    }

    /// A NULL events buffer: server WAIT blocks like any other and fails EFAULT only once an event
    /// arrives (it used to fail at once); the event stays for the next WAIT.
    @Test(arguments: ConformanceBackends.available)
    func aNullBufferBlocksUntilAnEventThenFailsEFAULT(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let spawned = Atomic<Bool>(false)
        let waiting = Atomic<Bool>(false)
        let probe = ThreadLock<WorkerProbe?>(nil)
        let server = try OSThread(name: "test-thread") {
            let s = ServerSide(backend: b)
            defer { s.free() }
            do throws(Errno) {
                try b.ctl(.registerServer)
                defer { try? b.ctl(.unregister) }
                waiting.store(true, ordering: .releasing)
                var result: Errno?
                do throws(Errno) {
                    try b.ctl(
                        .wait, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: nil, eventCount: 2)
                } catch {
                    result = error
                }
                #expect(result == .EFAULT)
                // Only an event to write ends it: the worker existed by then.
                let workerExisted = spawned.load(ordering: .acquiring)
                #expect(workerExisted)
                _ = waitUntil(seconds: 10) { probe.withLock { $0 } != nil }
                guard let p = probe.withLock({ $0 }) else { return }
                var seen: [UMCGEvent] = []
                try s.waitFor(.wake, id: p.id, seen: &seen)
                #expect(try s.switchTo(p.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p.id, type: .exit)])
            } catch {
                Issue.record("server: \(error)")
            }
        }
        _ = waitUntil(seconds: 10) { waiting.load(ordering: .acquiring) }
        spawned.store(true, ordering: .releasing)
        let (t, p) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        probe.withLock { $0 = p }
        server.join()
        t.join()
    }

    /// The event buffer: WAIT with n slots returns at most n − 1 events and a 0; CTX_SWITCH with n slots
    /// the stop event plus at most n − 2 and a 0, and with 1 slot only the stop event. A worker's
    /// handoff WAIT left over waits on the list for the next call.
    @Test(arguments: ConformanceBackends.available)
    func theBufferKeepsItsLastSlotForTheZero(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let next = Atomic<Int32>(0)
        let (t1, p1) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        next.store(p1.tid.load(ordering: .acquiring), ordering: .releasing)
        let (t0, p0) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.ctxSwitch, nextTid: next.load(ordering: .acquiring))  // hands the server to worker 1
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            var wakes: [UMCGEvent] = []
            while wakes.count < 2 {
                s.events[1] = 0xdead
                try b.ctl(
                    .wait, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: s.events, eventCount: 2)
                #expect(s.events[0] != 0 && s.events[1] == 0)  // one event and the 0, never two
                wakes.append(UMCGEvent(rawValue: s.events[0]))
            }
            #expect(Set(wakes) == [UMCGEvent(workerID: p0.id, type: .wake), UMCGEvent(workerID: p1.id, type: .wake)])
            // Worker 0 hands the server to worker 1, which exits: its EXIT and the 0 fill two slots,
            // worker 0's WAIT stays on the list.
            try b.ctl(.ctxSwitch, nextTid: p0.tid.load(ordering: .acquiring), events: s.events, eventCount: 2)
            #expect(s.collect() == [UMCGEvent(workerID: p1.id, type: .exit)])
            #expect(s.events[1] == 0)
            try b.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: s.events, eventCount: 2)
            #expect(s.collect() == [UMCGEvent(workerID: p0.id, type: .wait)])
            // One slot: the stop event only, no 0 after it.
            s.events[1] = 0xdead
            try b.ctl(.ctxSwitch, nextTid: p0.tid.load(ordering: .acquiring), events: s.events, eventCount: 1)
            #expect(s.events[0] == UMCGEvent(workerID: p0.id, type: .exit).rawValue)
            #expect(s.events[1] == 0xdead)
        }
        t0.join()
        t1.join()
    }

    /// Worker CTX_SWITCH: the target must be RUNNABLE (a WAITING worker, which a server may still
    /// switch to, is EINVAL); the caller goes IDLE and its WAIT comes off the global list, here behind
    /// the next stop event of the same server.
    @Test(arguments: ConformanceBackends.available)
    func aWorkerHandsItsServerOnlyToARunnableWorker(_ backend: ConformanceBackend) throws {
        let b = try backend.make()
        let tids = ThreadLock<[Int32]>([0, 0])
        let (t1, p1) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.wait)
            try b.ctl(.unregister)
        }
        let (t2, p2) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        tids.withLock { $0 = [p1.tid.load(ordering: .acquiring), p2.tid.load(ordering: .acquiring)] }
        let (t0, p0) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            let (waiting, runnable) = tids.withLock { ($0[0], $0[1]) }
            do throws(Errno) { try b.ctl(.ctxSwitch, nextTid: waiting) } catch { p.log(error) }
            try b.ctl(.ctxSwitch, nextTid: runnable)
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            for p in [p0, p1, p2] { try s.waitFor(.wake, id: p.id, seen: &seen) }
            #expect(try s.switchTo(p1.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p1.id, type: .wait)])
            // Worker 0 fails to hand off to WAITING worker 1, hands off to RUNNABLE worker 2, which exits.
            #expect(
                try s.switchTo(p0.tid.load(ordering: .acquiring)) == [
                    UMCGEvent(workerID: p2.id, type: .exit), UMCGEvent(workerID: p0.id, type: .wait),
                ])
            #expect(try s.switchTo(p0.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p0.id, type: .exit)])
            #expect(try s.switchTo(p1.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p1.id, type: .exit)])
        }
        for t in [t0, t1, t2] { t.join() }
        #expect(p0.loggedErrors == [.EINVAL])
    }
}
