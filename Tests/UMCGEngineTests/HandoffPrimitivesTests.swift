import Synchronization
import Testing
import UMCGSystem

@testable import UMCGEngine

/// The two waits of a switch's hot path: a worker waiting to be switched to (`Parker.park(…until:begun:)`,
/// whose waker unparks only a sleeper) and a server waiting for its worker's stop (`StopSlot`).
@Suite struct HandoffPrimitivesTests {
    /// Raw words for one test: eight 32-bit words, then twelve 64-bit ones.
    final class Words: @unchecked Sendable {
        // SAFETY: every access goes through Atomic operations; freed in deinit, after the threads joined.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        init() {
            for off in stride(from: 0, to: 32, by: 4) {
                (raw + off).bindMemory(to: Atomic<UInt32>.self, capacity: 1).initialize(to: Atomic(0))
            }
            for off in stride(from: 32, to: 128, by: 8) {
                (raw + off).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
            }
        }
        deinit { raw.deallocate() }
        func u32(_ i: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
            (raw + 4 * i).assumingMemoryBound(to: Atomic<UInt32>.self)
        }
        func u64(_ i: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
            (raw + 32 + 8 * i).assumingMemoryBound(to: Atomic<UInt64>.self)
        }
    }

    /// The worker's wait against a waker that claims (a sequentially consistent CAS), looks at the park
    /// word, publishes, and unparks only when the owner had announced sleep, as publishRunning does.
    /// Round `i`'s state goes 3i (waiting) → 3i+1 (claimed) → 3i+2 (ready); the owner then starts the
    /// next round. A lost wake-up shows as a park that times out (10 s); with
    /// no spin the owner sleeps in most rounds, so both sides of the pairing are exercised.
    @Test(arguments: [0, 2_000] as [UInt64])
    func parkUntilBegunNeverMissesTheWakerThatDoesNotUnpark(spinNanos: UInt64) throws {
        let words = Words()
        let rounds: UInt32 = 20_000
        // The park word, the state, a "timed out" flag; four ParkCounts words.
        let state = words.u32(1)
        let counts = words.u64(0)
        let p = Parker(words.u32(0), counts: counts)
        let timedOut = words.u32(2)
        let owner = try OSThread(name: "test-owner") {
            let state = words.u32(1)
            let p = Parker(words.u32(0), counts: words.u64(0))
            let timedOut = words.u32(2)
            for i in 0..<rounds {
                p.dropStale()
                while true {
                    // SequentiallyConsistent: test bookkeeping.
                    let s = state.pointee.load(ordering: .sequentiallyConsistent)
                    if s == 3 * i + 2 { break }
                    let r = p.park(
                        spinNanos: spinNanos, deadline: SystemClock.realtimeNanos() + 10_000_000_000, yields: 0
                    ) {
                        state.pointee.load(ordering: .relaxed) == 3 * i + 2
                    } begun: {
                        state.pointee.load(ordering: .sequentiallyConsistent) >= 3 * i + 1
                    }
                    // The waker publishes within microseconds of the claim: a 10 s sleep missed its wake-up.
                    if r == .timedOut {
                        timedOut.pointee.store(1, ordering: .sequentiallyConsistent)
                        return
                    }
                }
                state.pointee.store(3 * (i + 1), ordering: .sequentiallyConsistent)
            }
        }
        var unparked = 0
        for i in 0..<rounds {
            while state.pointee.load(ordering: .sequentiallyConsistent) != 3 * i {
                if timedOut.pointee.load(ordering: .relaxed) != 0 { break }
                CPU.relax()
            }
            if timedOut.pointee.load(ordering: .relaxed) != 0 { break }
            #expect(
                state.pointee.compareExchange(expected: 3 * i, desired: 3 * i + 1, ordering: .sequentiallyConsistent)
                    .exchanged)
            let asleep = p.asleep()
            state.pointee.store(3 * i + 2, ordering: .sequentiallyConsistent)
            if asleep {
                unparked += 1
                p.unpark(alwaysWake: false)
            }
        }
        owner.join()
        #expect(timedOut.pointee.load(ordering: .relaxed) == 0)
        #expect(state.pointee.load(ordering: .relaxed) == 3 * rounds)
        // Every park that slept was woken by an unpark the waker made because it saw the announcement.
        let slept = ParkCounts.read(counts).slept
        if spinNanos == 0 { #expect(slept > 0 && unparked > 0) }
        #expect(UInt64(unparked) <= slept)
    }

    /// Every post reaches the server once, in order, whether the server spins or sleeps; each wait
    /// is counted in exactly one stage; the sleep bit is gone after each wake-up.
    @Test(arguments: [0, 2_000] as [UInt64])
    func stopSlotDeliversEveryPostOnce(spinNanos: UInt64) throws {
        let words = Words()
        let slot = StopSlot(sequence: words.u32(0), event: words.u64(0))
        let counts = words.u64(1)  // 1...4
        let parker = Parker(words.u32(1), counts: counts)
        let go = words.u32(2)
        let rounds: UInt32 = 20_000
        let poster = try OSThread(name: "test-poster") {
            let slot = StopSlot(sequence: words.u32(0), event: words.u64(0))
            let go = words.u32(2)
            for i in 0..<rounds {
                while go.pointee.load(ordering: .acquiring) != i + 1 { CPU.relax() }
                slot.post(UInt64(i) << 5 | UMCGEventType.wait.rawValue, alwaysWake: false)
            }
        }
        var wrong = 0
        for i in 0..<rounds {
            let mark = slot.mark()
            go.pointee.store(i + 1, ordering: .releasing)
            let ev = slot.await(after: mark, spinNanos: spinNanos, yields: 0, counting: parker)
            if ev != UInt64(i) << 5 | UMCGEventType.wait.rawValue { wrong += 1 }
            #expect(words.u32(0).pointee.load(ordering: .relaxed) & 1 == 0)
        }
        poster.join()
        #expect(wrong == 0)
        let c = ParkCounts.read(counts)
        #expect(c.immediate + c.spun + c.yielded + c.slept == UInt64(rounds))
    }

    /// A server asleep on the slot (its announcement seen on the sequence) is woken by the post.
    @Test func stopSlotWakesAnAnnouncedSleeper() throws {
        let words = Words()
        let slot = StopSlot(sequence: words.u32(0), event: words.u64(0))
        let got = words.u64(5)
        for round in 1...20 {
            let mark = slot.mark()
            let server = try OSThread(name: "test-server") {
                let slot = StopSlot(sequence: words.u32(0), event: words.u64(0))
                let parker = Parker(words.u32(1), counts: words.u64(1))
                let ev = slot.await(after: mark, spinNanos: 0, yields: 0, counting: parker)
                words.u64(5).pointee.store(ev, ordering: .releasing)
            }
            // The server sets bit 0 before FUTEX_WAIT: wait for it, then post.
            while words.u32(0).pointee.load(ordering: .acquiring) & 1 == 0 { CPU.yield() }
            slot.post(UInt64(round) << 5 | UMCGEventType.block.rawValue, alwaysWake: false)
            server.join()
            #expect(got.pointee.load(ordering: .acquiring) == UInt64(round) << 5 | UMCGEventType.block.rawValue)
            #expect(words.u32(0).pointee.load(ordering: .relaxed) & 1 == 0)
        }
        #expect(ParkCounts.read(words.u64(1)).slept == 20)
    }
}
