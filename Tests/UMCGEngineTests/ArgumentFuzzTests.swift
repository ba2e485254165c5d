import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Random umcg_ctl arguments from plain and server threads: every call returns or throws one of the
/// documented errnos, never traps, never corrupts the backend (a normal lifecycle still works after).
@Suite struct ArgumentFuzzTests {
    static let allowed: Set<Errno> = [.EINVAL, .ESRCH, .EFAULT, .EAGAIN, .ETIMEDOUT, .EINTR, .ENOMEM]

    @Test func randomArgumentsOnlyYieldDocumentedErrors() throws {
        let b = try EmulatedBackend(options: .init(handoff: .futex, maxWorkers: 8, maxServers: 4))
        let unexpected = try onThread { () -> [String] in
            var rng = SplitMix64(seed: 99)
            var bad: [String] = []
            let events = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)
            defer { events.deallocate() }
            let me = ThreadID.current()
            for _ in 0..<5_000 {
                let cmd = UMCGCommand(rawValue: rng.next() % 9)
                let flags = rng.percent() < 80 ? 0 : rng.next() % 4
                let tidChoice = rng.percent()
                let tid: Int32 =
                    tidChoice < 40 ? 0 : tidChoice < 60 ? me : Int32(truncatingIfNeeded: rng.next() % 100_000)
                let evs = rng.percent() < 80 ? events : nil
                let count = Int32(truncatingIfNeeded: rng.next() % 6) - 1
                var timeout: UInt64 = rng.percent() < 50 ? 1 : SystemClock.realtimeNanos() + 100_000
                // Calls that would block forever by design: registering a worker with a valid id while
                // no server runs, and an untimed WAIT.
                if cmd == .registerWorker && timeout & 0x1f == 0 { timeout |= 1 }  // id 0 is valid too
                if cmd == .wait && timeout == 0 { timeout = 1 }
                do throws(Errno) {
                    try b.ctl(flags: flags, cmd: cmd, nextTid: tid, absTimeout: timeout, events: evs, eventCount: count)
                } catch {
                    if !Self.allowed.contains(error) { bad.append("\(cmd) → \(error)") }
                }
            }
            // Whatever we became (a lazily registered server), leave cleanly.
            try? b.ctl(.unregister)
            return bad
        }
        #expect(unexpected.isEmpty)
        #expect(b.registeredCounts.servers == 0)
        #expect(b.registeredCounts.workers == 0)
        // The backend still runs a normal lifecycle.
        let (t, p) = try spawnWorker { p throws(Errno) in
            try b.ctl(.registerWorker, absTimeout: UMCGABI.workerID(forTid: ThreadID.current()))
            try b.ctl(.unregister)
        }
        try onServerThread(b) { (s) throws in
            var seen: [UMCGEvent] = []
            try s.waitFor(.wake, id: p.id, seen: &seen)
            #expect(try s.switchTo(p.tid.load(ordering: .acquiring)) == [UMCGEvent(workerID: p.id, type: .exit)])
        }
        t.join()
    }
}
