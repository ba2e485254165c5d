import Synchronization
import UMCGSystem

/// A one-owner park/unpark word (a binary semaphore on a futex): the heart of every handoff.
///
/// Word values: 0 = empty, 1 = notified, 2 = the owner sleeps (or is about to) in FUTEX_WAIT.
/// Only the owner parks and only it moves the word to 0 or 2; anyone may unpark (set 1).
/// Notifications coalesce, so callers loop: `while !condition { park() }`.
///
/// Pairing (the Dekker handshake folded into one word): the owner announces sleep with a
/// sequentially consistent CAS 0→2; the waker publishes with a sequentially consistent
/// exchange(1). Both are read-modify-writes of the same word, so one of them comes first in
/// its modification order: either the owner's CAS fails (it sees 1 and does not sleep) or the
/// waker's exchange returns 2 and it issues FUTEX_WAKE. FUTEX_WAIT(word, 2) itself re-checks the
/// word in the kernel, so a wake between the CAS and the wait is never lost.
/// In `.adaptive` mode a waker skips FUTEX_WAKE when the exchange returned 0 (owner spinning or
/// running); in `.futex` mode it always calls FUTEX_WAKE, like the futex baseline.
@usableFromInline
struct Parker {
    // SAFETY: points into a control block the backend allocated and keeps alive for its lifetime.
    @usableFromInline let word: UnsafeMutablePointer<Atomic<UInt32>>
    /// Four `ParkCounts` words the owner adds each park's end to (nil: not counted).
    // SAFETY: as `word`: in the same control block, written by the owner thread only.
    @usableFromInline let counts: UnsafeMutablePointer<Atomic<UInt64>>?

    @inline(__always)
    init(_ word: UnsafeMutablePointer<Atomic<UInt32>>, counts: UnsafeMutablePointer<Atomic<UInt64>>? = nil) {
        self.word = word
        self.counts = counts
    }

    /// Adds one to the counter of `stage`. Owner only.
    @inline(__always)
    func count(_ stage: ParkCounts.Stage) {
        guard let counts else { return }
        // Relaxed load and store, no read-modify-write: only the owner writes its counters (a nested
        // park in a signal handler may lose one count); readers sum them after joining the owner.
        let c = counts + stage.rawValue
        c.pointee.store(c.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Why `park` returned.
    enum Result { case notified, timedOut }

    /// Consumes a pending notification. Owner only.
    @inline(__always)
    func tryConsume() -> Bool {
        // Relaxed peek first: a failing CAS still takes the line exclusive (x86 LOCK CMPXCHG), which
        // would steal it from a waker that only reads it. A stale 0 is harmless: `sleep`'s CAS re-checks.
        guard word.pointee.load(ordering: .relaxed) == 1 else { return false }
        // Acquiring: pairs with unpark's exchange, so whatever the waker wrote before is visible.
        return word.pointee.compareExchange(expected: 1, desired: 0, ordering: .acquiring).exchanged
    }

    /// Waits for a notification: spins up to `spinNanos` first, then calls sched_yield up to
    /// `yields` times, then sleeps in FUTEX_WAIT until notified or until the absolute
    /// CLOCK_REALTIME `deadline` (0 = none). Owner only.
    @inline(__always)
    func park(spinNanos: UInt64, deadline: UInt64 = 0, yields: Int = 0) -> Result {
        stages(
            immediate: { tryConsume() }, spun: { spinNanos > 0 && spin(spinNanos) },
            yielded: { yields > 0 && yieldWait(yields) }, slept: { sleep(deadline: deadline) })
    }

    /// `park` for an owner that waits on a condition its waker makes true (a worker waiting to be
    /// switched to), where the waker notifies only an owner that announced sleep: the spin and the
    /// yields end on `ready()`, and the sleep, once announced (the word 2, sequentially consistent),
    /// looks at `begun()` first, which must hold from the waker's first sequentially consistent
    /// read-modify-write on (its claim) and tells that the waker will not look at the word again.
    /// The waker reads the word after that read-modify-write (`asleep()`) and unparks only when it
    /// was 2: one of the two sees the other, so either the owner stays awake or the waker wakes it.
    /// An owner that sees `begun()` without `ready()` (the waker between its claim and its
    /// publication) yields before it returns, since the waker may need its CPU.
    /// A notification that came all the same (a sleeper's, or one of the other wakers) is left on
    /// the word when the spin sees `ready()` first; the caller drops it later with `dropStale()`.
    @inline(__always)
    func park(
        spinNanos: UInt64, deadline: UInt64, yields: Int, until ready: () -> Bool, begun: () -> Bool
    ) -> Result {
        // Closure literals only (no method reference, no local function passed on): this runs in the
        // preemption signal handler, and a debug build allocates the context of those (swift_slowAlloc).
        stages(
            immediate: { tryConsume() },
            spun: { spinNanos > 0 && spin(spinNanos) { notified(or: ready) } },
            yielded: { yields > 0 && yieldWait(yields) { notified(or: ready) } },
            slept: {
                sleep(deadline: deadline) {
                    guard begun() else { return false }
                    if !ready() { CPU.yield() }
                    return true
                }
            })
    }

    /// `ready()`, or else a notification there and consumed. Owner only.
    @inline(__always)
    func notified(or ready: () -> Bool) -> Bool {
        // Relaxed peek; the consuming CAS acquires.
        ready() || (word.pointee.load(ordering: .relaxed) == 1 && tryConsume())
    }

    /// The stages of a wait, each counted in this parker's `ParkCounts`: `immediate()` (already there),
    /// then `spun()`, `yielded()` and `slept()`, the first that ends it. The parks here, and a server
    /// waiting on its `StopSlot`, which counts its waits as the server's parks. Owner only.
    @inline(__always)
    func stages(
        immediate: () -> Bool, spun: () -> Bool, yielded: () -> Bool, slept: () -> Result
    ) -> Result {
        if immediate() {
            count(.immediate)
            return .notified
        }
        if spun() {
            count(.spun)
            return .notified
        }
        if yielded() {
            count(.yielded)
            return .notified
        }
        count(.slept)
        return slept()
    }

    /// Whether the owner announced sleep: for a waker of `park(…until:begun:)`, sequentially
    /// consistent, read after its own sequentially consistent read-modify-write.
    @inline(__always)
    func asleep() -> Bool { word.pointee.load(ordering: .sequentiallyConsistent) == 2 }

    /// Consumes a notification left by a waker whose condition the owner already saw (see
    /// `park(…until:begun:)`). Owner only; every park's caller re-checks its condition, so consuming a
    /// notification that is not stale loses nothing either.
    @inline(__always)
    func dropStale() { _ = tryConsume() }

    /// Yields the CPU up to `count` times, consuming a notification as soon as one is there.
    @inline(never)
    func yieldWait(_ count: Int) -> Bool {
        yieldWait(count) { tryConsume() }
    }

    /// `yieldWait(_:)` until `ready()`.
    @inline(__always)
    func yieldWait(_ count: Int, until ready: () -> Bool) -> Bool {
        for _ in 0..<count {
            CPU.yield()
            if ready() { return true }
        }
        return false
    }

    /// Spins on the word for `spinNanos`, timed on the trace clock (the TSC where it is invariant)
    /// and only after a first batch of 32 PAUSEs came up empty: a handoff between two hot threads
    /// usually ends within that batch, without any clock read.
    @inline(never)
    func spin(_ spinNanos: UInt64) -> Bool {
        // Relaxed peek; the consuming CAS acquires.
        spin(spinNanos) { word.pointee.load(ordering: .relaxed) == 1 && tryConsume() }
    }

    /// `spin(_:)` until `ready()`.
    @inline(__always)
    func spin(_ spinNanos: UInt64, until ready: () -> Bool) -> Bool {
        var deadline: UInt64 = 0
        while true {
            for _ in 0..<32 {
                CPU.relax()
                if ready() { return true }
            }
            let now = TraceClock.shared.nanos()
            if deadline == 0 {
                deadline = now &+ spinNanos
            } else if now >= deadline {
                return false
            }
        }
    }

    /// Reentrancy: a signal handler on the owner's thread (a preemption) may park over an interrupted
    /// park of the same thread. The word is then 2 already (the outer frame announced): the inner one
    /// sleeps on it as well; when the inner one consumed the notification and the outer one wakes to
    /// a 0 it returns `.notified`, and its caller re-checks its condition like after any wake-up.
    @inline(never)
    func sleep(deadline: UInt64) -> Result {
        sleep(deadline: deadline) { false }
    }

    /// `sleep(deadline:)` that, once the sleep is announced, returns without sleeping when
    /// `awake()` (see `park(…until:begun:)`).
    @inline(__always)
    func sleep(deadline: UInt64, unless awake: () -> Bool) -> Result {
        // SequentiallyConsistent: pairs with unpark's exchange (see the type comment) and with the
        // `asleep()` of a waker that does not unpark.
        let (announced, seen) = word.pointee.compareExchange(
            expected: 0, desired: 2, ordering: .sequentiallyConsistent)
        if !announced && seen != 2 {
            _ = tryConsume()  // the word is 1 and only we clear it
            return .notified
        }
        if awake() {
            // Relaxed: retracting our own announcement; if it fails the word is 1 (a notification).
            if !word.pointee.compareExchange(expected: 2, desired: 0, ordering: .relaxed).exchanged {
                _ = tryConsume()
            }
            return .notified
        }
        let address = Futex.address(of: word)
        while true {
            // Any outcome (woken, value changed, timed out, EINTR; EFAULT cannot happen on our own
            // word) leads to the same re-check below.
            if deadline == 0 {
                _ = try? Futex.wait(address, expected: 2)
            } else {
                _ = try? Futex.wait(address, expected: 2, realtimeDeadline: deadline)
            }
            if tryConsume() { return .notified }
            // Relaxed: 0 means a nested park on this thread consumed the notification (see above).
            if word.pointee.load(ordering: .relaxed) == 0 { return .notified }
            // Timed out only once CLOCK_REALTIME really passed the deadline (an early return re-waits).
            if deadline != 0 && SystemClock.realtimeNanos() >= deadline {
                // Relaxed: retracting our own announcement; if it fails the word is 1 (a late notify).
                if word.pointee.compareExchange(expected: 2, desired: 0, ordering: .relaxed).exchanged {
                    return .timedOut
                }
                _ = tryConsume()
                return .notified
            }
        }
    }

    /// Notifies the owner. `alwaysWake` forces FUTEX_WAKE even when the owner is not asleep.
    @inline(__always)
    func unpark(alwaysWake: Bool) {
        // SequentiallyConsistent: pairs with the owner's CAS 0→2 in `sleep` (see the type comment).
        let old = word.pointee.exchange(1, ordering: .sequentiallyConsistent)
        if old == 2 || alwaysWake {
            _ = try? Futex.wake(Futex.address(of: word), count: 1)
        }
    }
}
