import Glibc

/// A recursive `pthread_mutex_t` with explicit `lock()` and `unlock()`, for a lock that must be
/// held across a coroutine accessor's `yield` (where `ThreadLock.withLock`'s closure cannot reach).
///
/// Recursive, so that one thread may take it again while it holds it (a read of a guarded
/// property while evaluating an index into it). Like `ThreadLock` it is a pthread mutex, so
/// ThreadSanitizer sees its happens-before edges. A lock and unlock cost tens of nanoseconds
/// uncontended: take it per batch of work, not per event.
///
/// Threading rule: any thread; every `lock()` is matched by an `unlock()` on the same thread.
public final class RecursiveMutex: @unchecked Sendable {
    // SAFETY: the pthread_mutex_t lives in its own heap cell that never moves (POSIX forbids
    // copying an initialised mutex), freed in deinit after pthread_mutex_destroy; pthread
    // serialises every operation on it.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Creates an unlocked recursive mutex.
    public init() {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        // Attribute init and settype with a valid type cannot fail on glibc.
        _ = pthread_mutexattr_init(&attributes)
        _ = pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        _ = pthread_mutex_init(mutex, &attributes)
        _ = pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        _ = pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Takes the mutex (again, if this thread holds it), waiting while another thread holds it.
    public func lock() {
        // A recursive mutex fails only on a count overflow (2^31 nested locks), which no caller nests.
        _ = pthread_mutex_lock(mutex)
    }

    /// Releases one `lock()` of this thread.
    public func unlock() {
        _ = pthread_mutex_unlock(mutex)
    }
}
