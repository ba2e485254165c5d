import Glibc

/// A lock around a value, built on `pthread_mutex_t`, with the shape of `Synchronization.Mutex`.
///
/// Why not `Mutex`: on Linux it sleeps and wakes with raw futex system calls that ThreadSanitizer
/// does not intercept, so TSan misses its happens-before edges and reports races that are not
/// there. TSan intercepts `pthread_mutex_lock`/`unlock`, so code under this lock is checked for
/// real. Use it for cold paths (registration, thread lists, test bookkeeping), never on a hot path.
///
/// Threading rule: any thread; `withLock` is not reentrant (a nested call on the same lock
/// deadlocks, as with `Mutex`).
public final class ThreadLock<Value>: @unchecked Sendable {
    // SAFETY: `value` is read and written only between pthread_mutex_lock and pthread_mutex_unlock
    // of `mutex`, and is taken in and handed out as `sending`, like `Mutex`'s value.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// Creates a lock holding `initialValue`.
    public init(_ initialValue: consuming sending Value) {
        // SAFETY: the pthread_mutex_t lives in its own heap cell that never moves (POSIX forbids
        // copying an initialised mutex), freed in deinit after pthread_mutex_destroy.
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // A default (normal) mutex: init with default attributes cannot fail on glibc.
        _ = pthread_mutex_init(mutex, nil)
        value = initialValue
    }

    deinit {
        _ = pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns its result.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // pthread_mutex_lock on a valid default mutex only fails on deadlock detection, which a
        // normal mutex does not do.
        _ = pthread_mutex_lock(mutex)
        defer { _ = pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
