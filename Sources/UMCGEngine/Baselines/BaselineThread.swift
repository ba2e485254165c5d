#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A plain pthread running one closure, joinable once (later joins return at once).
///
/// The baselines' own tiny thread helper: the ping-pongs need two bare threads with no
/// runtime in between, and must not disturb the affinity of the thread that starts them.
final class BaselineThread: Sendable {
    private let handle: pthread_t
    private let joined = Mutex(false)

    private init(handle: pthread_t) { self.handle = handle }

    /// Starts a thread running `body`. Throws the pthread_create error (e.g. EAGAIN).
    static func start(_ body: @escaping @Sendable () -> Void) throws(BaselineError) -> BaselineThread {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(
            &handle, nil,
            { arg in
                guard let arg else { return nil }
                // Balances passRetained above: the new thread owns the box.
                Unmanaged<Box>.fromOpaque(arg).takeRetainedValue().body()
                return nil
            }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw .threadStartFailed(Errno(rawValue: rc))
        }
        return BaselineThread(handle: handle)
    }

    /// Waits for the thread to end. Idempotent; safe from several threads.
    func join() {
        joined.withLock { done in
            guard !done else { return }
            pthread_join(handle, nil)
            done = true
        }
    }
}
