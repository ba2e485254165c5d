import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

#if canImport(Glibc)
    import Glibc
#endif

/// The klib's rules where a test needs the emulation's insides to make the timing deterministic (a
/// worker's state word) or to build a hostile buffer, and the audit items of #10 left for this round.
/// Each failed (or crashed the test process) before its fix.
@Suite struct KlibEmulationTests {
    /// The worker's state word, white-box.
    static func state(_ b: EmulatedBackend, _ p: WorkerProbe) -> UInt32 {
        guard let (w, _) = try? b.lookupWorker(p.tid.load(ordering: .acquiring)) else { return 0 }
        // Relaxed: a test's poll.
        return w.state.pointee.load(ordering: .relaxed)
    }

    /// An anonymous private mapping, nil when mmap fails.
    static func map(_ length: Int, _ protection: Int32) -> UnsafeMutableRawPointer? {
        guard let p = mmap(nil, length, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), Int(bitPattern: p) != -1
        else { return nil }
        return p
    }

    /// Worker CTX_SWITCH honours abs_timeout: when it passes before a server took the caller's WAIT,
    /// TIMEOUT sits right behind that WAIT in the same buffer, and the call returns ETIMEDOUT once a
    /// server switches back (the deadline used to be ignored).
    @Test func aHandoffsTimeoutFollowsItsWait() throws {
        let b = try ConformanceTests.backend()
        let next = Atomic<Int32>(0)
        let caller = ThreadLock<WorkerProbe?>(nil)
        let (t1, p1) = try spawnWorker { _ throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            // Runs until worker 0's deadline has passed and it marked itself timed out.
            _ = waitUntil(seconds: 10) {
                caller.withLock { $0 }.map { Self.state(b, $0) & UMCGWorkerState.timeoutBit != 0 } ?? false
            }
            try b.ctl(.unregister)
        }
        next.store(p1.tid.load(ordering: .acquiring), ordering: .releasing)
        let (t0, p0) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            let deadline = SystemClock.realtimeNanos() + 5_000_000
            do throws(Errno) {
                try b.ctl(.ctxSwitch, nextTid: next.load(ordering: .acquiring), absTimeout: deadline)
            } catch {
                p.log(error)
            }
            try b.ctl(.unregister)
        }
        caller.withLock { $0 = p0 }
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            for p in [p0, p1] { try s.waitFor(.wake, id: p.id, seen: &seen) }
            #expect(
                try s.switchTo(p0.tid.load(ordering: .acquiring)) == [
                    UMCGEvent(workerID: p1.id, type: .exit), UMCGEvent(workerID: p0.id, type: .wait),
                    UMCGEvent(workerID: p0.id, type: .timeout),
                ])
            #expect(try s.switchTo(p0.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p0.id, type: .exit)])
        }
        t0.join()
        t1.join()
        #expect(p0.loggedErrors == [.ETIMEDOUT])
    }

    /// Audit (#10): a WAITING worker whose deadline passed was WAITING|TIMEOUT and could be switched to
    /// before its TIMEOUT was taken (the TIMEOUT then arrived stale). Now it is IDLE|TIMEOUT: EINVAL
    /// until a server takes the TIMEOUT, then the switch makes its WAIT return ETIMEDOUT.
    @Test func aTimedOutWorkerIsNotSwitchableUntilItsTimeoutIsTaken() throws {
        let b = try ConformanceTests.backend()
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            do throws(Errno) { try b.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 50_000_000) } catch {
                p.log(error)
            }
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            let tid = p.tid.load(ordering: .acquiring)
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            let timeout = UMCGEvent(workerID: p.id, type: .timeout)
            let stopped = try s.switchTo(tid)
            // The switch's own drain takes what is on the list: when this server came back more than
            // the 50 ms deadline after the worker's WAIT (ThreadSanitizer on a loaded machine), the
            // TIMEOUT is already there and taken, and the worker RUNNABLE; otherwise it comes later.
            let wait = UMCGEvent(workerID: p.id, type: .wait)
            #expect(stopped == [wait] || stopped == [wait, timeout], "\(stopped)")
            if !stopped.contains(timeout) {
                #expect(waitUntil(seconds: 10) { Self.state(b, p) & UMCGWorkerState.timeoutBit != 0 })
                #expect(throws: Errno.EINVAL) { try b.ctl(.ctxSwitch, nextTid: tid, events: s.events, eventCount: 8) }
                seen = []
                try s.waitFor(.timeout, id: p.id, seen: &seen)
                #expect(seen == [timeout])
            }
            #expect(try s.switchTo(tid) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
        #expect(p.loggedErrors == [.ETIMEDOUT])
    }

    /// An unwritable events buffer never raises SIGSEGV in the library (the test process used to die).
    /// WAIT fails EFAULT when its first slot cannot be written, leaving the event on the list. Server
    /// CTX_SWITCH finds out as the klib does, when it writes the stop event: the worker ran (here to its
    /// end), the stop event is lost and the call fails EFAULT. A later slot that cannot be written only
    /// ends the copy.
    @Test func anUnwritableBufferIsEFAULTNotACrash() throws {
        let b = try ConformanceTests.backend()
        let page = Mapping.pageSize
        let raw = try #require(Self.map(2 * page, PROT_READ | PROT_WRITE))
        defer { munmap(raw, 2 * page) }
        #expect(mprotect(raw + page, page, PROT_NONE) == 0)
        // Addresses travel as integers (pointers are not Sendable); rebuilt on the server thread.
        let lastGoodAddress = UInt(bitPattern: raw + page - 8)
        let badAddress = UInt(bitPattern: raw + page)
        let readOnlyMapping = try #require(Self.map(page, PROT_READ))
        defer { munmap(readOnlyMapping, page) }
        let readOnlyAddress = UInt(bitPattern: readOnlyMapping)
        var spawned: [(OSThread, WorkerProbe)] = []
        for _ in 0..<3 {
            spawned.append(
                try spawnWorker { _ throws(Errno) in
                    try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
                    try b.ctl(.unregister)
                })
        }
        let probes = spawned.map(\.1)
        _ = waitUntil(seconds: 10) { b.list.approximateCount == 3 }
        try onServerThread(b) { (s) throws in
            let bad = UnsafeMutablePointer<UInt64>(bitPattern: badAddress)
            let readOnly = UnsafeMutablePointer<UInt64>(bitPattern: readOnlyAddress)
            let lastGood = try #require(UnsafeMutablePointer<UInt64>(bitPattern: lastGoodAddress))
            let deadline = SystemClock.realtimeNanos() + 10_000_000_000
            var failures: [Errno] = []
            for (buffer, timeout) in [(bad, deadline), (readOnly, deadline), (bad, UMCGABI.pollTimeout)] {
                do throws(Errno) { try b.ctl(.wait, absTimeout: timeout, events: buffer, eventCount: 8) } catch {
                    failures.append(error)
                }
            }
            #expect(failures == [.EFAULT, .EFAULT, .EFAULT])
            // All three WAKEs are still there; take them one at a time.
            func takeOne() throws -> WorkerProbe {
                try b.ctl(.wait, absTimeout: deadline, events: s.events, eventCount: 2)
                let got = s.collect()
                let probe = try #require(probes.first { got == [UMCGEvent(workerID: $0.id, type: .wake)] })
                return probe
            }
            let pa = try takeOne()
            var switchFailure: Errno?
            do throws(Errno) {
                try b.ctl(.ctxSwitch, nextTid: pa.tid.load(ordering: .acquiring), events: bad, eventCount: 8)
            } catch {
                switchFailure = error
            }
            #expect(switchFailure == .EFAULT)
            // The worker ran to its end (the klib's order): its EXIT was the lost stop event.
            #expect(waitUntil(seconds: 10) { pa.finished.load(ordering: .acquiring) })
            #expect(pa.loggedErrors.isEmpty)
            let pb = try takeOne()
            // Slot 0 writable, slot 1 not: the stop event only; the last WAKE stays on the list.
            try b.ctl(.ctxSwitch, nextTid: pb.tid.load(ordering: .acquiring), events: lastGood, eventCount: 8)
            #expect(lastGood.pointee == UMCGEvent(workerID: pb.id, type: .exit).rawValue)
            let pc = try #require(probes.first { $0 !== pa && $0 !== pb })
            #expect(try s.waitEvents() == [UMCGEvent(workerID: pc.id, type: .wake)])
            #expect(try s.switchTo(pc.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: pc.id, type: .exit)])
        }
        for (t, _) in spawned { t.join() }
    }
}

/// The backend the SIGUSR2 handler of `PreemptionSignalTests` preempts through (set before the
/// handler is installed, cleared after the test's threads joined).
nonisolated(unsafe) var preemptionSignalBackend: EmulatedBackend?

/// Signals the handler ran (any thread).
let preemptionSignalsHandled = Atomic<Int>(0)

/// Handler runs after which errno differed from before (`preemptCurrentWorker` must preserve it;
/// ThreadSanitizer's "signal handler spoils errno" found it did not).
let preemptionSignalsSpoilingErrno = Atomic<Int>(0)

/// The handler: park the interrupted worker now, as a preemption timer's handler will.
let preemptionSignalHandler: @convention(c) (Int32) -> Void = { _ in
    // Relaxed: a counter the worker polls to know a signal came.
    preemptionSignalsHandled.add(1, ordering: .relaxed)
    let interrupted = errno
    errno = 4242
    _ = preemptionSignalBackend?.preemptCurrentWorker()
    // Relaxed: read after the joins.
    if errno != 4242 { preemptionSignalsSpoilingErrno.add(1, ordering: .relaxed) }
    errno = interrupted
}

/// Audit (#10): `checkpoint`'s state changes were not reentrant (`enterBlocking`, `workerWait` and the
/// handoff loaded `w.server`, then stored the state), so a signal-driven preemption between the two
/// sent BLOCK/WAIT to a server that no longer ran the worker and the one that did waited forever. The
/// stress: a thread pelts a worker with SIGUSR2, whose handler calls `preemptCurrentWorker()`, while
/// the worker blocks, waits and checks in a loop and two servers take turns running it.
@Suite(.serialized) struct PreemptionSignalTests {
    @Test func signalDrivenPreemptionKeepsEveryEventWithItsServer() throws {
        let b = try ConformanceTests.backend()
        preemptionSignalBackend = b
        defer { preemptionSignalBackend = nil }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = preemptionSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        var previous = sigaction()
        #expect(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }

        let rounds = 1_000
        let workerThread = ThreadLock<pthread_t?>(nil)
        let (t, p) = try spawnWorker { _ throws(Errno) in
            workerThread.withLock { $0 = pthread_self() }
            // Threads may start with asynchronous signals blocked (the engine's do): let SIGUSR2 in.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            for _ in 0..<rounds {
                try b.enterBlocking()
                try b.leaveBlocking()
                try b.ctl(.wait)
                try b.checkpoint()
                // Runs until a signal came (bounded), so some land while it is RUNNING.
                let before = preemptionSignalsHandled.load(ordering: .relaxed)
                var spins = 0
                while preemptionSignalsHandled.load(ordering: .relaxed) == before && spins < 1_000_000 {
                    CPU.relax()
                    spins += 1
                }
            }
            try b.ctl(.unregister)
        }
        let done = Atomic<Bool>(false)
        let pelter = try OSThread(name: "test-thread") {
            guard let target = workerThread.withLock({ $0 }) else { return }
            while !done.load(ordering: .acquiring) {
                pthread_kill(target, SIGUSR2)
                CPU.yield()
            }
        }
        let runnable = Atomic<Int32>(0)  // the worker's tid while some server may switch to it
        let seen = ThreadLock<[UMCGEventType: Int]>([:])
        let errors = ThreadLock<[Errno]>([])
        let tid = p.tid.load(ordering: .acquiring)
        let id = UMCGABI.workerID(forTid: tid)
        let progress = StallGuard()
        @Sendable func serve() {
            let s = ServerSide(backend: b)
            defer { s.free() }
            func handle(_ events: [UMCGEvent]) {
                for ev in events {
                    if ev.workerID != id { errors.withLock { $0.append(.EINVAL) } }
                    guard let type = ev.type else { continue }
                    progress.progressed()
                    seen.withLock { $0[type, default: 0] += 1 }
                    switch type {
                    case .exit: done.store(true, ordering: .releasing)
                    case .block: break  // its WAKE follows
                    default: runnable.store(tid, ordering: .releasing)
                    }
                }
            }
            do throws(Errno) {
                try b.ctl(.registerServer)
                defer { try? b.ctl(.unregister) }
                while !done.load(ordering: .acquiring) && !progress.stalled {
                    if runnable.compareExchange(expected: tid, desired: 0, ordering: .acquiringAndReleasing).exchanged {
                        do throws(Errno) { handle(try s.switchTo(tid)) } catch { errors.withLock { $0.append(error) } }
                        continue
                    }
                    if AuditFixTests.waitBriefly(b, s) { handle(s.collect()) }
                }
            } catch {
                errors.withLock { $0.append(error) }
            }
        }
        let servers = try (0..<2).map { _ in try OSThread(name: "test-thread") { serve() } }
        for s in servers { s.join() }
        let finished = done.load(ordering: .acquiring)
        done.store(true, ordering: .releasing)
        pelter.join()
        let counts = seen.withLock { $0 }
        guard finished else {
            // Nothing will switch to the worker again: record where it stopped instead of hanging at
            // its join (the thread is detached when `t` goes).
            let state = (try? b.lookupWorker(tid)).map { $0.0.state.pointee.load(ordering: .relaxed) }
            Issue.record(
                "no event for \(progress.seconds) s after \(progress.events): \(counts), worker state \(state.map(String.init) ?? "gone"), errors \(errors.withLock { $0 }) and \(p.loggedErrors)"
            )
            return
        }
        t.join()
        #expect(errors.withLock { $0 }.isEmpty)
        #expect(p.loggedErrors.isEmpty)
        #expect(counts[.block] == rounds)
        #expect(counts[.wake] == rounds + 1)
        #expect(counts[.wait] == rounds)
        #expect(counts[.exit] == 1)
        #expect((counts[.preempt] ?? 0) > 0)
        #expect(preemptionSignalsSpoilingErrno.load(ordering: .relaxed) == 0)
    }
}

/// Audit (#10), stress: server threads that end without UNREGISTER while workers keep blocking and
/// waking. Each server runs a few switches and ends; the next one finds every WAKE posted meanwhile on
/// the global list (a server holds no events), and every worker finishes.
@Suite struct ServerChurnTests {
    @Test func serversEndingWithoutUnregisterWhileWorkersWakeLoseNothing() throws {
        let b = try ConformanceTests.backend()
        let workers = 4
        let rounds = 200
        var threads: [OSThread] = []
        for _ in 0..<workers {
            let (t, _) = try spawnWorker { _ throws(Errno) in
                try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
                for _ in 0..<rounds {
                    try b.enterBlocking()
                    try b.leaveBlocking()
                }
                try b.ctl(.unregister)
            }
            threads.append(t)
        }
        let runnable = ThreadLock<[Int32]>([])
        let exits = Atomic<Int>(0)
        let errors = ThreadLock<[Errno]>([])
        let progress = StallGuard()
        var servers = 0
        while exits.load(ordering: .acquiring) < workers && !progress.stalled {
            servers += 1
            let server = try OSThread(name: "test-thread") {
                let s = ServerSide(backend: b)
                defer { s.free() }
                func handle(_ events: [UMCGEvent]) {
                    for ev in events {
                        if ev.type != nil { progress.progressed() }
                        let tid = Int32(truncatingIfNeeded: ev.workerID >> UMCGABI.workerIDShift)
                        switch ev.type {
                        case .exit: exits.add(1, ordering: .acquiringAndReleasing)
                        case .block, .none: break
                        default: runnable.withLock { $0.append(tid) }
                        }
                    }
                }
                do throws(Errno) {
                    try b.ctl(.registerServer)
                    var switches = 0
                    while switches < 5 && exits.load(ordering: .acquiring) < workers && !progress.stalled {
                        if let tid = runnable.withLock({ $0.popLast() }) {
                            handle(try s.switchTo(tid))
                            switches += 1
                        } else if AuditFixTests.waitBriefly(b, s) {
                            handle(s.collect())
                        }
                    }
                    // Ends without UNREGISTER.
                } catch {
                    errors.withLock { $0.append(error) }
                }
            }
            server.join()
        }
        guard exits.load(ordering: .acquiring) == workers else {
            // Stalled: the workers left waiting would hang their joins (they are detached instead).
            Issue.record(
                "no event for \(progress.seconds) s after \(progress.events), \(exits.load(ordering: .acquiring)) of \(workers) exits"
            )
            return
        }
        for t in threads { t.join() }
        #expect(errors.withLock { $0 }.isEmpty)
        #expect(exits.load(ordering: .acquiring) == workers)
        #expect(servers > 1)
        #expect(b.registeredCounts == (workers: 0, servers: 0))
    }
}
