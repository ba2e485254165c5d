import Synchronization
import Testing
import UMCGSystem

@testable import UMCGBench
@testable import UMCGEngine

/// The park counters: each park's end lands in the stage that saw it, and a ping-pong's counts add up.
@Suite struct ParkCountsTests {
    /// A park word with its four counters, freed by `deallocate()`.
    struct Words {
        let word = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 1)
        let counts = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 4)
        init() {
            word.initialize(to: Atomic(0))
            for i in 0..<4 { (counts + i).initialize(to: Atomic(0)) }
        }
        var parker: Parker { Parker(word, counts: counts) }
        var read: ParkCounts { ParkCounts.read(counts) }
        func deallocate() {
            word.deallocate()
            counts.deallocate()
        }
    }

    @Test func eachEndIsCountedInItsStage() {
        let w = Words()
        defer { w.deallocate() }
        let p = w.parker
        p.unpark(alwaysWake: false)
        #expect(p.park(spinNanos: 1_000) == .notified)
        #expect(w.read == ParkCounts(immediate: 1))
        // Nobody notifies: the spin, then the yields run out and the park sleeps until its deadline.
        #expect(p.park(spinNanos: 1_000, deadline: SystemClock.realtimeNanos() + 2_000_000, yields: 2) == .timedOut)
        #expect(w.read == ParkCounts(immediate: 1, slept: 1))
        #expect(w.read.sleptFraction == 0.5)
        // An uncounted parker (the tests' and any caller's without counters) counts nothing.
        let uncounted = Parker(w.word)
        uncounted.unpark(alwaysWake: false)
        #expect(uncounted.park(spinNanos: 0) == .notified)
        #expect(w.read.total == 2)
    }

    @Test func aNotificationDuringTheSpinCountsAsSpun() throws {
        let w = Words()
        defer { w.deallocate() }
        final class Box: @unchecked Sendable {
            // SAFETY: the words outlive the thread (joined below).
            let p: Parker
            init(_ p: Parker) { self.p = p }
        }
        let box = Box(w.parker)
        // A 10 s spin: the notification comes while it spins (the waker waits for the owner to start).
        let started = Atomic<Bool>(false)
        let owner = try OSThread(name: "test-park") {
            started.store(true, ordering: .releasing)
            _ = box.p.park(spinNanos: 10_000_000_000)
        }
        while !started.load(ordering: .acquiring) { CPU.relax() }
        box.p.unpark(alwaysWake: false)
        owner.join()
        let counts = w.read
        #expect(counts.total == 1)
        // The unpark may land before the owner's first look (immediate), never in sleep or yield.
        #expect(counts.spun + counts.immediate == 1)
    }

    @Test func aFutexPingPongNeverSpinsAndItsParksAreCounted() throws {
        let backend = try EmulatedBackend(options: PingPongBackend.options(.futex))
        #expect(backend.parkCounts() == ParkCounts())
        let r = try UMCGPingPong.run(backend: backend, placement: .sameCPU, seconds: 0.05)
        let parks = try #require(r.parks)
        #expect(parks == backend.parkCounts())
        #expect(parks.spun == 0)
        #expect(parks.yielded == 0)
        // At least the server's registration wait and most cycles' parks.
        #expect(parks.total > 0)
        #expect(parks.slept > 0)
    }

    @Test(.enabled(if: CPU.count >= 2, "cross-CPU placement needs 2 CPUs; this process may use 1"))
    func anAdaptiveCrossCPUPingPongSpins() throws {
        let backend = try EmulatedBackend(options: PingPongBackend.options(.adaptive, spinNanos: 1_000_000))
        let r = try UMCGPingPong.run(backend: backend, placement: .crossCPU, seconds: 0.05)
        let parks = try #require(r.parks)
        #expect(parks.yielded == 0)
        #expect(parks.spun > 0)
        #expect(r.cycles > 0)
    }

    @Test func theEnvironmentsSpinBudgetFallsBackToTheDefaultOutOfRange() {
        typealias O = EmulatedBackend.Options
        #expect(O.spinNanos(orDefault: -1) == O.defaultSpinNanos)
        #expect(O.spinNanos(orDefault: 0) == 0)
        #expect(O.spinNanos(orDefault: 50_000) == 50_000)
        #expect(O.spinNanos(orDefault: Int64(O.maxSpinNanos)) == O.maxSpinNanos)
        #expect(O.spinNanos(orDefault: Int64(O.maxSpinNanos) + 1) == O.defaultSpinNanos)
        #expect(O().spinNanos == O.defaultSpinNanos)
    }
}

/// Where the adaptive handoff's yields apply: after a cross-CPU spin only.
@Suite struct SpinYieldsTests {
    @Test func yieldsFollowOnlyACrossCPUSpin() throws {
        var o = EmulatedBackend.Options(handoff: .adaptive, maxWorkers: 2, maxServers: 1)
        o.spinYields = 5
        let adaptive = try EmulatedBackend(options: o)
        #expect(adaptive.parkYields(spin: 1_000) == 5)
        #expect(adaptive.parkYields(spin: 0) == 0)  // same CPU: no spin, no yields, straight to FUTEX_WAIT
        let yieldMode = try EmulatedBackend(options: .init(handoff: .yield, maxWorkers: 2, maxServers: 1))
        #expect(yieldMode.parkYields(spin: 0) == EmulatedBackend.yieldsBeforeSleep)
        let futex = try EmulatedBackend(options: .init(handoff: .futex, maxWorkers: 2, maxServers: 1))
        #expect(futex.parkYields(spin: 0) == 0)
    }
}
