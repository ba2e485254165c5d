import Synchronization
import UMCGSystem

/// Where the worker running on a server leaves the event that ends the server's CTX_SWITCH: an event
/// word and a sequence that publishes it, both in the server's block.
///
/// The worker stores the event and adds 2 to the sequence, one locked instruction on the line. The
/// server reads the sequence before it switches (`mark()`) and waits for it to move, so it never writes
/// the slot on its way from one stop to the next claim: a reset there (or the consuming CAS of a park
/// word) would take the line back from the worker and keep the claim waiting for it. There is one stop
/// per CTX_SWITCH (the worker stops once, or the last worker of a chain of handoffs), so the event word
/// is never written twice before the server reads it.
///
/// Bit 0 of the sequence says the server sleeps (or is about to) in FUTEX_WAIT on the sequence: it
/// announces that with a sequentially consistent CAS from the mark, the poster's sequentially
/// consistent add returns it and the poster calls FUTEX_WAKE; one of the two read-modify-writes comes
/// first, so either the CAS fails (the event is there) or the add sees the bit. The server clears the
/// bit once the event is there, before anything can post again.
@usableFromInline
struct StopSlot {
    // SAFETY: both point into a server block the backend keeps alive for its lifetime.
    let sequence: UnsafeMutablePointer<Atomic<UInt32>>
    let event: UnsafeMutablePointer<Atomic<UInt64>>

    /// The sequence to wait past: read by the server before it publishes the worker that will post.
    @inline(__always)
    func mark() -> UInt32 {
        // Relaxed: only the server's own CTX_SWITCH lets anything post, and it saw the last post.
        sequence.pointee.load(ordering: .relaxed) & ~1
    }

    /// Posts `ev` (the worker's thread). `alwaysWake` calls FUTEX_WAKE even when the server spins.
    @inline(__always)
    func post(_ ev: UInt64, alwaysWake: Bool) {
        // Relaxed: published by the add below.
        event.pointee.store(ev, ordering: .relaxed)
        // SequentiallyConsistent: releases the event; pairs with the server's announcing CAS.
        let old = sequence.pointee.wrappingAdd(2, ordering: .sequentiallyConsistent).oldValue
        if old & 1 != 0 || alwaysWake {
            _ = try? Futex.wake(Futex.address(of: sequence), count: 1)
        }
    }

    /// The event posted after `mark`: spins up to `spinNanos` (timed as `Parker.spin`), then yields
    /// up to `yields` times, then sleeps; each stage counted in the server's `parker`. Server only.
    @inline(__always)
    func await(after mark: UInt32, spinNanos: UInt64, yields: Int, counting parker: Parker) -> UInt64 {
        // Relaxed peek; the acquiring load below orders the event read.
        func posted() -> Bool { sequence.pointee.load(ordering: .relaxed) & ~1 != mark }
        // Closure literals, as in Parker.park(…begun:): no context a debug build would allocate.
        _ = parker.stages(
            immediate: { posted() }, spun: { spinNanos > 0 && parker.spin(spinNanos) { posted() } },
            yielded: { yields > 0 && parker.yieldWait(yields) { posted() } },
            slept: {
                sleep(after: mark)
                return .notified
            })
        // Acquiring: pairs with post's add; the event stored before it is visible.
        _ = sequence.pointee.load(ordering: .acquiring)
        // Relaxed: after the acquiring load above.
        return event.pointee.load(ordering: .relaxed)
    }

    @inline(never)
    func sleep(after mark: UInt32) {
        let address = Futex.address(of: sequence)
        while true {
            // SequentiallyConsistent: pairs with post's add (see the type comment).
            let (announced, seen) = sequence.pointee.compareExchange(
                expected: mark, desired: mark | 1, ordering: .sequentiallyConsistent)
            if !announced && seen & ~1 != mark { break }
            // Woken, interrupted or the sequence moved: the CAS above looks again.
            _ = try? Futex.wait(address, expected: mark | 1)
        }
        // Relaxed: nothing posts again before this server's next switch, which its own thread makes.
        if sequence.pointee.load(ordering: .relaxed) & 1 != 0 {
            sequence.pointee.bitwiseAnd(~1, ordering: .relaxed)
        }
    }
}
