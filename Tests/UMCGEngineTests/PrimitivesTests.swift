import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// The lock-free building blocks of the emulation: event queue, tid table, parker.
@Suite struct PrimitivesTests {
    @Test func eventQueueIsFIFOAndBounded() {
        let q = EventQueue.allocate(minimumCapacity: 5)
        defer { q.deallocate() }
        #expect(q.capacity == 8)
        #expect(q.dequeue() == nil)
        for v in 1...8 { #expect(q.enqueue(UInt64(v))) }
        #expect(!q.enqueue(9))
        #expect(q.approximateCount == 8)
        for v in 1...8 { #expect(q.dequeue() == UInt64(v)) }
        #expect(q.dequeue() == nil)
        // Wraps around many laps.
        for lap in 0..<100 {
            for v in 0..<5 { #expect(q.enqueue(UInt64(lap * 10 + v))) }
            for v in 0..<5 { #expect(q.dequeue() == UInt64(lap * 10 + v)) }
        }
    }

    @Test func eventQueuePeekLooksAheadWithoutTaking() {
        let q = EventQueue.allocate(minimumCapacity: 4)
        defer { q.deallocate() }
        #expect(q.peek() == nil)
        for lap in 0..<10 {  // across laps of the ring
            let base = UInt64(lap * 100)
            for v in 0..<3 { #expect(q.enqueue(base + UInt64(v))) }
            #expect(q.peek() == base)
            #expect(q.peek(ahead: 2) == base + 2)
            #expect(q.peek(ahead: 3) == nil)  // past the tail
            #expect(q.approximateCount == 3)
            #expect(q.dequeue() == base)
            #expect(q.peek() == base + 1 && q.peek(ahead: 1) == base + 2 && q.peek(ahead: 2) == nil)
            #expect(q.dequeue() == base + 1 && q.dequeue() == base + 2)
            #expect(q.peek() == nil)
        }
    }

    /// A hint for a tid that is not a registered worker changes nothing: no registration appears, the
    /// calling thread stays unregistered (UNREGISTER is EINVAL) and then a working server; the kernel
    /// backend ignores hints without a syscall.
    @Test func prefetchHintsIgnoreUnknownTidsAndServers() throws {
        let b = try EmulatedBackend(options: .init(maxWorkers: 4, maxServers: 1))
        b.prefetch(worker: 0)
        b.prefetch(worker: -1)
        b.prefetch(worker: ThreadID.current())  // not registered
        #expect(b.registeredCounts.workers == 0 && b.registeredCounts.servers == 0)
        try b.ctl(.unregister)  // the hints registered nothing: a plain thread's UNREGISTER is 0 (the klib)
        #expect(b.registeredCounts.servers == 0)
        try b.ctl(.registerServer)
        b.prefetch(worker: ThreadID.current())  // a server, not a worker
        let k: any UMCGBackend = b
        k.prefetch(worker: 12_345)  // through the protocol: the emulation's own hint, same rule
        #expect(b.registeredCounts.workers == 0 && b.registeredCounts.servers == 1)
        let events = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        defer { events.deallocate() }
        // Still an idle server with nothing to run: a WAIT with a past deadline times out.
        #expect(throws: Errno.ETIMEDOUT) { try b.ctl(.wait, absTimeout: 1, events: events, eventCount: 2) }
        try b.ctl(.unregister)
        #expect(b.registeredCounts.workers == 0 && b.registeredCounts.servers == 0)

        let calls = ThreadLock<Int>(0)
        let kernel: any UMCGBackend = KernelBackend(syscallNumber: 1 << 20) { _, _, _, _, _, _, _ in
            calls.withLock { $0 += 1 }
            return -Int64(Errno.ENOSYS.rawValue)
        }
        kernel.prefetch(worker: 12_345)
        kernel.prefetch(worker: ThreadID.current())
        #expect(calls.withLock { $0 } == 0)
    }

    @Test func eventQueueManyProducersLoseNothing() throws {
        let q = EventQueue.allocate(minimumCapacity: 256)
        defer { q.deallocate() }
        let producers = 4
        let perProducer = 20_000
        let sums = AtomicWords(1)
        let consumer = try OSThread(name: "test-thread") {
            var got = 0
            var sum: UInt64 = 0
            var lastPerProducer = [UInt64](repeating: 0, count: producers)
            var ordered = true
            while got < producers * perProducer {
                if let v = q.dequeue() {
                    let p = Int(v >> 32)
                    let seq = v & 0xffff_ffff
                    if seq <= lastPerProducer[p] { ordered = false }
                    lastPerProducer[p] = seq
                    sum &+= seq
                    got += 1
                }
            }
            sums[0] = ordered ? sum : 0
        }
        let threads = try (0..<producers).map { p in
            try OSThread(name: "test-thread") {
                for i in 1...perProducer { q.enqueueWaiting(UInt64(p) << 32 | UInt64(i)) }
            }
        }
        for t in threads { t.join() }
        consumer.join()
        let expected = UInt64(producers) * UInt64(perProducer * (perProducer + 1) / 2)
        #expect(sums[0] == expected)  // nothing lost, nothing duplicated, per-producer order kept
    }

    @Test func tidTableInsertLookupRemoveReuse() {
        let t = TidTable.allocate(entries: 8)
        defer { t.deallocate() }
        #expect(t.capacity == 16)
        for tid in Int32(100)..<108 { #expect(t.insert(tid, UInt32(tid - 100))) }
        for tid in Int32(100)..<108 { #expect(t.lookup(tid) == UInt32(tid - 100)) }
        #expect(t.lookup(5) == nil)
        t.remove(103)
        #expect(t.lookup(103) == nil)
        #expect(t.lookup(104) == 4)  // probing continues past the tombstone
        // Churn far beyond the capacity: tombstones are reused, lookups of absent tids still end.
        for round in 0..<1_000 {
            let tid = Int32(1_000 + round)
            #expect(t.insert(tid, 77))
            #expect(t.lookup(tid) == 77)
            t.remove(tid)
            #expect(t.lookup(tid) == nil)
        }
        for tid in Int32(100)..<108 where tid != 103 { #expect(t.lookup(tid) == UInt32(tid - 100)) }
    }

    /// Audit (#10): tombstones were never reclaimed, so thread churn left a table of tombstones that
    /// every lookup of an absent tid probed end to end.
    @Test func tidTableReclaimsTombstonesUnderChurn() {
        let t = TidTable.allocate(entries: 8)
        defer { t.deallocate() }
        for tid in Int32(100)..<104 { #expect(t.insert(tid, 1)) }
        var rng = SplitMix64(seed: 7)
        var live: [Int32] = []
        for round in 0..<10_000 {
            let tid = Int32(1_000 + round)
            #expect(t.insert(tid, 2))
            live.append(tid)
            if live.count > 3 {
                let k = Int(rng.next() % UInt64(live.count))
                t.remove(live.remove(at: k))
            }
            #expect(t.tombstones * 4 <= t.capacity)
        }
        for tid in live { #expect(t.lookup(tid) == 2) }
        for tid in Int32(100)..<104 { #expect(t.lookup(tid) == 1) }
        for tid in live { t.remove(tid) }
        for tid in Int32(100)..<104 { t.remove(tid) }
        #expect(t.tombstones == 0)
    }

    @Test func tidTableFullRefusesInsert() {
        let t = TidTable.allocate(entries: 8)
        defer { t.deallocate() }
        for tid in Int32(1)...16 { #expect(t.insert(tid, 1)) }
        #expect(!t.insert(17, 1))
        #expect(t.lookup(17) == nil)  // a full table without empties still answers
    }

    @Test(arguments: [false, true])
    func parkerNeverLosesANotification(alwaysWake: Bool) throws {
        let word = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 1)
        word.initialize(to: Atomic(0))
        defer { word.deallocate() }
        final class Box: @unchecked Sendable {
            // SAFETY: the word outlives both threads (joined below).
            let p: Parker
            let turns = AtomicWords(1)
            init(_ p: Parker) { self.p = p }
        }
        let box = Box(Parker(word))
        let rounds: UInt64 = 20_000
        // The owner parks until `turns` is odd, then makes it even; the waker does the opposite.
        let owner = try OSThread(name: "test-thread") {
            for i in 0..<rounds {
                while box.turns[0] != 2 * i + 1 { _ = box.p.park(spinNanos: alwaysWake ? 0 : 2_000) }
                box.turns[0] = 2 * i + 2
            }
        }
        for i in 0..<rounds {
            while box.turns[0] != 2 * i { CPU.relax() }
            box.turns[0] = 2 * i + 1
            box.p.unpark(alwaysWake: alwaysWake)
        }
        owner.join()
        #expect(box.turns[0] == 2 * rounds)
    }

    @Test func parkerTimesOutAtTheDeadline() {
        let word = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 1)
        word.initialize(to: Atomic(0))
        defer { word.deallocate() }
        let p = Parker(word)
        let deadline = SystemClock.realtimeNanos() + 5_000_000
        #expect(p.park(spinNanos: 0, deadline: deadline) == .timedOut)
        #expect(SystemClock.realtimeNanos() >= deadline)
        p.unpark(alwaysWake: false)
        #expect(p.park(spinNanos: 0, deadline: SystemClock.realtimeNanos() + 1_000_000_000) == .notified)
    }
}

@Suite struct SplitMix64Tests {
    @Test func rangesStayInBoundsAndTheFullRangeDoesNotTrap() {
        var r = SplitMix64(seed: 1)
        for _ in 0..<1_000 {
            let v = r.next(in: 5...9)
            #expect((5...9).contains(v))
        }
        _ = r.next(in: 0...UInt64.max)
        #expect(r.next(in: 7...7) == 7)
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        #expect(a.next() == b.next())  // deterministic per seed
    }
}

@Suite struct CPUTests {
    @Test func allowedCPUsMatchTheCount() {
        let ids = CPU.allowed()
        #expect(ids.count == CPU.count)
        #expect(ids == ids.sorted())
        #expect(CPU.current() >= 0)
    }
}
