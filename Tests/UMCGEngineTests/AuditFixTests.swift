import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

/// Regression tests for the emulation audit of issue #10 (each failed before its fix).
@Suite struct AuditFixTests {
    /// Two workers handing the server to each other (worker-form CTX_SWITCH) 10⁶ times. Before the
    /// first fix each handoff queued a WAIT for the parked server, which drained nothing until it
    /// returned: the queue filled and `enqueueWaiting` spun forever (the test hung). Then a full queue
    /// refused the handoff with EAGAIN. Now (the klib's model, #10) the handing-off worker goes IDLE with
    /// its WAIT on the global list, which any idle server drains, and its peer can switch back only once
    /// that WAIT was taken (EINVAL until then: retried here); a worker is on the list at most once, so
    /// the list cannot fill, every handoff succeeds and every WAIT arrives.
    @Test func workersSwitchingToEachOtherForeverDoNotHang() throws {
        let b = try ConformanceTests.backend()
        let peers = ThreadLock<[Int32]>([0, 0])
        let switches = Atomic<Int>(0)
        let retries = Atomic<Int>(0)
        @Sendable func script(_ me: Int) -> @Sendable (WorkerProbe) throws(Errno) -> Void {
            { p throws(Errno) in
                try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
                let peer = peers.withLock { $0[1 - me] }
                while switches.load(ordering: .relaxed) < 1_000_000 {
                    var failure: Errno?
                    do throws(Errno) { try b.ctl(.ctxSwitch, nextTid: peer) } catch { failure = error }
                    if let failure {
                        guard failure == .EINVAL else {
                            p.log(failure)  // ESRCH (the peer already left)
                            break
                        }
                        // The peer's WAIT is not taken yet (IDLE), or it already stopped switching.
                        // Relaxed: a counter read after the joins.
                        retries.add(1, ordering: .relaxed)
                        if switches.load(ordering: .relaxed) >= 1_000_000 { break }
                        CPU.yield()
                        continue
                    }
                    // Relaxed: a counter read after both threads joined.
                    switches.add(1, ordering: .relaxed)
                }
                try b.ctl(.unregister)
            }
        }
        let probes = [WorkerProbe(), WorkerProbe()]
        var threads: [OSThread] = []
        let ready = Atomic<Int>(0)
        for me in 0..<2 {
            threads.append(
                try OSThread(name: "test-thread") {
                    probes[me].tid.store(ThreadID.current(), ordering: .releasing)
                    peers.withLock { $0[me] = ThreadID.current() }
                    ready.add(1, ordering: .acquiringAndReleasing)
                    _ = waitUntil(seconds: 10) { ready.load(ordering: .acquiring) == 2 }
                    do throws(Errno) { try script(me)(probes[me]) } catch { probes[me].log(error) }
                })
        }
        // The idle server: drains the handoff WAITs (and the EXIT of whichever worker is not running).
        let drained = ThreadLock<[UMCGEvent]>([])
        let stopDrainer = Atomic<Bool>(false)
        let drainer = try OSThread(name: "test-thread") {
            let s = ServerSide(backend: b)
            defer { s.free() }
            do throws(Errno) {
                try b.ctl(.registerServer)
                defer { try? b.ctl(.unregister) }
                while !stopDrainer.load(ordering: .acquiring) {
                    if Self.waitBriefly(b, s) {
                        let got = s.collect()
                        drained.withLock { $0 += got }
                    }
                }
            } catch {
                probes[0].log(error)
            }
        }
        let waits = try onThread { () throws -> Int in
            let s = ServerSide(backend: b)
            defer { s.free() }
            try b.ctl(.registerServer)
            defer { try? b.ctl(.unregister) }
            // Both WAKEs, taken by either server (taking one makes that worker RUNNABLE). The ids come
            // from the tids, which the threads store when they start: a set built before both had
            // started held a tid-0 id that no WAKE ever matched (the clean-clone CI gave up after 60 s).
            guard waitUntil(seconds: 10, { ready.load(ordering: .acquiring) == 2 }) else {
                Issue.record("the worker threads did not start in 10 s")
                throw Errno.ETIMEDOUT
            }
            let wakes = Set(probes.map { UMCGEvent(workerID: $0.id, type: .wake) })
            var seen: [UMCGEvent] = []
            // Bounded: a lost WAKE fails the test with the list and worker states instead of hanging it.
            let giveUp = SystemClock.monotonicNanos() + 60_000_000_000
            while !wakes.isSubset(of: Set(seen + drained.withLock { $0 })) {
                if Self.waitBriefly(b, s) { seen += s.collect() }
                if SystemClock.monotonicNanos() > giveUp {
                    let states = probes.map { p -> String in
                        guard let (w, _) = try? b.lookupWorker(p.tid.load(ordering: .acquiring)) else { return "gone" }
                        // Relaxed: a diagnostic.
                        return String(w.state.pointee.load(ordering: .relaxed), radix: 16)
                    }
                    Issue.record("WAKEs not delivered in 60 s: list \(b.list.approximateCount), states \(states)")
                    throw Errno.ETIMEDOUT
                }
            }
            seen += try s.switchTo(probes[0].tid.load(ordering: .acquiring))
            // One worker's EXIT ended the switch; the other's comes from the list (or the next switch).
            var exits = Set(seen.filter { $0.type == .exit })
            for probe in probes where !exits.contains(UMCGEvent(workerID: probe.id, type: .exit)) {
                let exit = UMCGEvent(workerID: probe.id, type: .exit)
                _ = waitUntil(seconds: 10) { drained.withLock { $0.contains(exit) } || Self.switchable(b, probe) }
                if !drained.withLock({ $0.contains(exit) }) {
                    seen += try s.switchTo(probe.tid.load(ordering: .acquiring))
                }
                exits.insert(exit)
            }
            #expect(Set((seen + drained.withLock { $0 }).filter { $0.type == .exit }) == exits)
            return seen.filter { $0.type == .wait }.count
        }
        for t in threads { t.join() }
        stopDrainer.store(true, ordering: .releasing)
        drainer.join()
        let errors = probes.flatMap(\.loggedErrors)
        #expect(errors.contains(.EAGAIN) || switches.load(ordering: .relaxed) >= 1_000_000)
        #expect(errors.allSatisfy { $0 == .EAGAIN || $0 == .ESRCH })
        // Every successful handoff produced exactly one WAIT, none lost.
        #expect(waits + drained.withLock { $0 }.filter { $0.type == .wait }.count == switches.load(ordering: .relaxed))
        #expect(b.registeredCounts.workers == 0)
    }

    /// An idle WAIT of up to 20 ms: true when it returned events (false on ETIMEDOUT, or any error).
    static func waitBriefly(_ b: EmulatedBackend, _ s: ServerSide) -> Bool {
        do throws(Errno) {
            try b.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 20_000_000, events: s.events, eventCount: 8)
            return true
        } catch {
            return false
        }
    }

    /// Whether `probe`'s worker can be switched to now (RUNNABLE or WAITING): white-box, emulation only.
    static func switchable(_ b: EmulatedBackend, _ probe: WorkerProbe) -> Bool {
        guard let (w, _) = try? b.lookupWorker(probe.tid.load(ordering: .acquiring)) else { return false }
        // Relaxed: a test's poll.
        let base = w.state.pointee.load(ordering: .relaxed) & UMCGWorkerState.mask
        return base == UMCGWorkerState.runnable || base == UMCGWorkerState.waiting
    }

    /// `lookupWorker` → `claim` is not atomic with slot reuse: a block found under one tid may belong
    /// to another thread by the time the CAS wins. Before the fix the claim succeeded on the stranger's
    /// block; now it fails ESRCH and leaves the block as it was.
    @Test func aClaimRechecksTheTidAfterTheCAS() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        let tid = p.tid.load(ordering: .acquiring)
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            // Claimable only once its WAKE was taken (#10: IDLE until then).
            try s.waitFor(.wake, id: p.id, seen: &seen)
            let (w, _) = try b.lookupWorker(tid)
            #expect(throws: Errno.ESRCH) { _ = try b.claim(w, tid: tid &+ 1) }
            // Relaxed: read back on the thread that restored it (RUNNABLE: was IDLE before #10's rule).
            #expect(w.state.pointee.load(ordering: .relaxed) == UMCGWorkerState.runnable)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
    }
}

/// A server remembers the worker it switched to last (`ServerBlock.lastTarget`) and switches to it
/// again without the tid table. The hint must never decide an answer the table would not give.
@Suite struct LastTargetHintTests {
    /// A worker script: register, and unregister once a server runs it (its EXIT).
    static func registerThenLeave(_ b: EmulatedBackend) -> @Sendable (WorkerProbe) throws(Errno) -> Void {
        { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
    }

    /// The worker exits and a new worker takes its block: CTX_SWITCH to the old tid is ESRCH (the
    /// hint names a block that is now another thread's), the new worker is left RUNNABLE, and the
    /// server then runs it.
    @Test func aStaleHintAfterBlockReuseIsESRCHAndLeavesTheNewOwnerAlone() throws {
        // One worker block, so the second worker must take the first one's.
        let b = try EmulatedBackend(options: .init(handoff: .futex, maxWorkers: 1, maxServers: 1))
        let script = Self.registerThenLeave(b)
        let (t1, p1) = try spawnWorker(script)
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            let oldTid = p1.tid.load(ordering: .acquiring)
            try s.waitFor(.wake, id: p1.id, seen: &seen)
            let (_, oldRef) = try b.lookupWorker(oldTid)
            #expect(try s.switchTo(oldTid) == [UMCGEvent(workerID: p1.id, type: .exit)])
            t1.join()
            let (t2, p2) = try spawnWorker(script)
            defer { t2.join() }
            try s.waitFor(.wake, id: p2.id, seen: &seen)
            let newTid = p2.tid.load(ordering: .acquiring)
            let (w, newRef) = try b.lookupWorker(newTid)
            // The case under test: the freed block went to the new worker.
            #expect(newRef == oldRef)
            #expect(throws: Errno.ESRCH) { _ = try s.switchTo(oldTid) }
            // Relaxed: read on the server thread; only a claim could have changed it.
            #expect(w.state.pointee.load(ordering: .relaxed) == UMCGWorkerState.runnable)
            #expect(try s.switchTo(newTid) == [UMCGEvent(workerID: p2.id, type: .exit)])
        }
        #expect(p1.loggedErrors.isEmpty)
    }

    /// A hint whose tid matches but whose block belongs to another worker (forged here; in life a
    /// block reused by a thread that got a recycled tid) is checked before the claim: the switch goes
    /// to the right worker through the table and the other worker's block is not touched.
    @Test func aHintNamingAnotherWorkersBlockFallsBackToTheTable() throws {
        let b = try ConformanceTests.backend()
        let script = Self.registerThenLeave(b)
        let (t1, p1) = try spawnWorker(script)
        let (t2, p2) = try spawnWorker(script)
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p1.id, seen: &seen)
            try s.waitFor(.wake, id: p2.id, seen: &seen)
            let tid1 = p1.tid.load(ordering: .acquiring)
            let tid2 = p2.tid.load(ordering: .acquiring)
            let (w1, ref1) = try b.lookupWorker(tid1)
            guard case .server(let block) = b.currentRole() else { throw Errno.EINVAL }
            // Relaxed: the server's own hint, forged to name worker 1's block under worker 2's tid.
            block.lastTarget.pointee.store(UInt64(UInt32(bitPattern: tid2)) << 32 | UInt64(ref1), ordering: .relaxed)
            #expect(try s.switchTo(tid2) == [UMCGEvent(workerID: p2.id, type: .exit)])
            // Relaxed: read on the server thread.
            #expect(w1.state.pointee.load(ordering: .relaxed) == UMCGWorkerState.runnable)
            #expect(try s.switchTo(tid1) == [UMCGEvent(workerID: p1.id, type: .exit)])
        }
        t1.join()
        t2.join()
    }
}

@Suite struct AuditFixInterruptTests {
    /// After EINTR a worker runs plain code while its server already has its WAIT. Before the fix it
    /// stayed WAITING, so a server could switch to it while it ran that code (the switch succeeded);
    /// now the switch fails EINVAL until the worker resumes the WAIT.
    @Test func anInterruptedWorkerCannotBeClaimedUntilItResumes() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            do throws(Errno) { try b.ctl(.wait) } catch { p.log(error) }  // interrupted
            p.waitForGate(seconds: 2)  // plain code; before the fix a server ran it meanwhile
            try b.ctl(.wait, flags: UMCGABI.waitFlagInterrupted)
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .wait)])
            try b.interrupt(tid: tid)
            #expect(waitUntil(seconds: 10) { p.loggedErrors == [.EINTR] })
            #expect(throws: Errno.EINVAL) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: 8) }
            p.openGate()
            // Switchable again once it resumed.
            var result: [UMCGEvent] = []
            _ = waitUntil(seconds: 10) {
                do throws(Errno) {
                    result = try s.switchTo(tid)
                    return true
                } catch {
                    return false
                }
            }
            #expect(result == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(b.registeredCounts.workers == 0)
    }
}

@Suite struct AuditFixStealingTests {
    /// An event posted while the only server is busy (running a worker) went to that server's queue,
    /// and a server that became idle later never saw it (before the fix its WAIT timed out after
    /// 10 s). Now an idle server with nothing of its own takes the busy servers' events.
    @Test func anIdleServerSeesEventsPostedWhileTheOtherWasBusy() throws {
        let b = try ConformanceTests.backend()
        let (t1, p1) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            p.waitForGate()  // keeps its server busy
            try b.ctl(.unregister)
        }
        let busy = try OSThread(name: "test-thread") {
            let s = ServerSide(backend: b)
            defer { s.free() }
            do throws(Errno) {
                try b.ctl(.registerServer)
                var seen: [UMCGEvent] = []
                try s.waitFor(.wake, id: p1.id, seen: &seen)
                #expect(
                    try s.switchTo(p1.tid.load(ordering: .acquiring)).first == UMCGEvent(workerID: p1.id, type: .exit))
                try b.ctl(.unregister)
            } catch {
                p1.log(error)
            }
        }
        // The busy server runs worker 1; worker 2's WAKE waits on the global list (was: that server's queue).
        _ = waitUntil(seconds: 10) { b.server(0).current.pointee.load(ordering: .acquiring) != noIndex }
        let (t2, p2) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        #expect(waitUntil(seconds: 10) { b.list.approximateCount > 0 })
        try onServerThread(b) { (s) throws in
            #expect(try s.waitEvents().first == UMCGEvent(workerID: p2.id, type: .wake))
            #expect(try s.switchTo(p2.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p2.id, type: .exit)])
        }
        p1.openGate()
        busy.join()
        t1.join()
        t2.join()
        #expect(p1.loggedErrors.isEmpty)
        #expect(b.registeredCounts == (workers: 0, servers: 0))
    }
}
