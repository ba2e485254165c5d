/// A lock around a value, built on `pthread_mutex_t` (`ThreadMutex`), with the shape of `Synchronization.Mutex`.
///
/// Why not `Mutex`: on Linux it sleeps and wakes with raw futex system calls that ThreadSanitizer
/// does not intercept, so TSan misses its happens-before edges and reports races that are not
/// there. TSan intercepts `pthread_mutex_lock`/`unlock`, so code under this lock is checked for
/// real. Use it for cold paths (registration, thread lists, test bookkeeping), never on a hot path.
///
/// Threading rule: any thread; `withLock` is not reentrant (a nested call on the same lock
/// deadlocks, as with `Mutex`).
public final class ThreadLock<Value>: @unchecked Sendable {
    // SAFETY: `value` is read and written only between `mutex.lock()` and `mutex.unlock()`, and is
    // taken in and handed out as `sending`, like `Mutex`'s value.
    private let mutex = ThreadMutex()
    private var value: Value

    /// Creates a lock holding `initialValue`.
    public init(_ initialValue: consuming sending Value) {
        value = initialValue
    }

    /// Runs `body` with exclusive access to the value and returns its result.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        mutex.lock()
        defer { mutex.unlock() }
        return try body(&value)
    }
}
