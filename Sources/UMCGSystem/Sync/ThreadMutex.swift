import Glibc

/// A `pthread_mutex_t` with explicit `lock()` and `unlock()`: what `ThreadLock` is built on, and a
/// lock that must be held across a coroutine accessor's `yield` (where `ThreadLock.withLock`'s
/// closure cannot reach).
///
/// A pthread mutex, so ThreadSanitizer sees its happens-before edges (`Synchronization.Mutex`
/// sleeps in raw futex calls that TSan does not intercept). `recursive` lets one thread take it
/// again while it holds it (a read of a guarded property while evaluating an index into it). A lock
/// and unlock cost tens of nanoseconds uncontended: take it per batch of work, not per event.
///
/// Threading rule: any thread; every `lock()` is matched by an `unlock()` on the same thread.
public final class ThreadMutex: @unchecked Sendable {
    // SAFETY: the pthread_mutex_t lives in its own heap cell that never moves (POSIX forbids
    // copying an initialised mutex), freed in deinit after pthread_mutex_destroy; pthread
    // serialises every operation on it.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Creates an unlocked mutex: a default (normal) one, or a recursive one.
    public init(recursive: Bool = false) {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        // Attribute init, settype with a valid type and mutex init cannot fail on glibc.
        _ = pthread_mutexattr_init(&attributes)
        if recursive { _ = pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE)) }
        _ = pthread_mutex_init(mutex, &attributes)
        _ = pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        _ = pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Takes the mutex (again, if recursive and this thread holds it), waiting while another thread holds it.
    @inline(__always)
    public func lock() {
        // Fails only on deadlock detection (a normal mutex does none) or a recursive count overflow.
        _ = pthread_mutex_lock(mutex)
    }

    /// Releases one `lock()` of this thread.
    @inline(__always)
    public func unlock() {
        _ = pthread_mutex_unlock(mutex)
    }
}
