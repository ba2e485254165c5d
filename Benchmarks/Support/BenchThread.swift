#if canImport(Glibc)
    import Glibc
#endif

/// A plain pthread for benchmarks that need a second thread (a producer), joined exactly once.
public struct BenchThread: @unchecked Sendable {
    // SAFETY: pthread_t is an integer handle on Linux; only the creator joins it, once.
    private let thread: pthread_t

    /// Starts a thread running `body`; nil when pthread_create fails.
    public static func spawn(_ body: @escaping @Sendable () -> Void) -> BenchThread? {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        // SAFETY: the retained box is released exactly once, by the thread or here when creation fails.
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            return nil
        }
        return BenchThread(thread: thread)
    }

    /// Waits for the thread to end.
    public func join() { _ = pthread_join(thread, nil) }
}
