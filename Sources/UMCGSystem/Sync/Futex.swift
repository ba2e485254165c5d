import CUMCGShims
import Synchronization

/// Thin wrappers over FUTEX_WAIT / FUTEX_WAKE (private futexes) in the swift-system style.
public enum Futex {
    /// How a `wait` ended when it did not fail.
    public enum WaitOutcome: Sendable, Equatable {
        /// Woken by FUTEX_WAKE (or spuriously: callers re-check their condition).
        case woken
        /// The word did not hold `expected` when the kernel looked (EAGAIN).
        case valueChanged
        /// The timeout or deadline passed.
        case timedOut
        /// A signal interrupted the wait (EINTR).
        case interrupted
    }

    /// Waits while `*word == expected`. `timeout` is a relative CLOCK_MONOTONIC duration in ns (nil = forever).
    @inlinable @inline(__always)
    public static func wait(
        _ word: UnsafeMutablePointer<UInt32>, expected: UInt32, timeout: UInt64? = nil
    ) throws(Errno) -> WaitOutcome {
        let t: Int64 = timeout.map { Int64(clamping: $0) } ?? -1
        return try outcome(umcg_shim_futex_wait(word, expected, t))
    }

    /// Waits while `*word == expected` until the absolute CLOCK_REALTIME `deadline` in ns (0 = forever).
    @inlinable @inline(__always)
    public static func wait(
        _ word: UnsafeMutablePointer<UInt32>, expected: UInt32, realtimeDeadline deadline: UInt64
    ) throws(Errno) -> WaitOutcome {
        try outcome(umcg_shim_futex_wait_abs_realtime(word, expected, deadline))
    }

    /// Wakes up to `count` waiters on `word`; returns how many woke.
    @inlinable @inline(__always)
    @discardableResult
    public static func wake(_ word: UnsafeMutablePointer<UInt32>, count: Int32 = 1) throws(Errno) -> Int32 {
        let r = umcg_shim_futex_wake(word, count)
        if r < 0 { throw Errno(rawValue: -r) }
        return r
    }

    /// The futex address of an `Atomic<UInt32>` that lives in raw memory.
    @inlinable @inline(__always)
    public static func address(of atomic: UnsafeMutablePointer<Atomic<UInt32>>) -> UnsafeMutablePointer<UInt32> {
        // SAFETY: Atomic<UInt32> has the size and alignment of UInt32; the kernel only reads it atomically.
        UnsafeMutableRawPointer(atomic).assumingMemoryBound(to: UInt32.self)
    }

    @inlinable @inline(__always)
    static func outcome(_ r: Int32) throws(Errno) -> WaitOutcome {
        switch r {
        case 0: return .woken
        case -Errno.EAGAIN.rawValue: return .valueChanged
        case -Errno.ETIMEDOUT.rawValue: return .timedOut
        case -Errno.EINTR.rawValue: return .interrupted
        default: throw Errno(rawValue: -r)
        }
    }
}
