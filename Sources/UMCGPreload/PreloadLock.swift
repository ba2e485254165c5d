#if canImport(Glibc)
    import Glibc
#endif

/// A `pthread_mutex_t` around a value (like UMCGSystem's `ThreadLock`) that survives `fork`:
/// the library's pthread_atfork handlers hold it across the fork (`lockForFork`), so no other
/// thread holds it at that instant, and the child starts with a fresh one (`resetInChild`).
///
/// Threading rule: any thread; not reentrant; cold paths only (ring creation, the publisher).
final class PreloadLock<Value>: @unchecked Sendable {
    // SAFETY: `value` is touched only between lock and unlock of `mutex` (or in a fork child with
    // one thread, after `resetInChild`); the mutex lives in a heap cell that never moves or is freed
    // (a preload lock lives as long as the process).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// Creates a lock holding `value`.
    init(_ value: Value) {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        _ = pthread_mutex_init(mutex, nil)
        self.value = value
    }

    /// Runs `body` with the value, under the lock.
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        _ = pthread_mutex_lock(mutex)
        defer { _ = pthread_mutex_unlock(mutex) }
        return body(&value)
    }

    /// Takes the lock before fork (pthread_atfork prepare); `unlockAfterFork` or `resetInChild` follows.
    func lockForFork() { _ = pthread_mutex_lock(mutex) }

    /// Releases it in the parent after fork.
    func unlockAfterFork() { _ = pthread_mutex_unlock(mutex) }

    /// In the child after fork (one thread): a fresh mutex, and `body` on the value.
    func resetInChild(_ body: (inout Value) -> Void) {
        _ = pthread_mutex_init(mutex, nil)
        body(&value)
    }
}
