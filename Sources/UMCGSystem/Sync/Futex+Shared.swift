import CUMCGShims

extension Futex {
    /// Waits while `*word == expected` on a word in a MAP_SHARED mapping that another process may
    /// wake (a non-private FUTEX_WAIT). `timeout` is a relative CLOCK_MONOTONIC duration in ns
    /// (nil = forever).
    public static func waitShared(
        _ word: UnsafeMutablePointer<UInt32>, expected: UInt32, timeout: UInt64? = nil
    ) throws(Errno) -> WaitOutcome {
        let t: Int64 = timeout.map { Int64(clamping: $0) } ?? -1
        return try outcome(umcg_shim_futex_wait_shared(word, expected, t))
    }

    /// Wakes up to `count` waiters of `word` in any process (a non-private FUTEX_WAKE); returns how many woke.
    @discardableResult
    public static func wakeShared(_ word: UnsafeMutablePointer<UInt32>, count: Int32 = 1) throws(Errno) -> Int32 {
        let r = umcg_shim_futex_wake_shared(word, count)
        if r < 0 { throw Errno(rawValue: -r) }
        return r
    }
}
