#if canImport(Glibc)
    import Glibc
#endif

/// Plain pthreads for the benchmark and tests (UMCGTrace has no Foundation).
enum ThreadLauncher {
    /// A started thread; join it exactly once.
    struct Handle: @unchecked Sendable {
        // SAFETY: pthread_t is an integer handle on Linux; joined once by its creator.
        let thread: pthread_t
    }

    /// Starts a thread running `body`; nil when pthread_create fails.
    static func spawn(_ body: @escaping @Sendable () -> Void) -> Handle? {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
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
        return Handle(thread: thread)
    }

    /// Waits for the thread to end.
    static func join(_ handle: Handle) { _ = pthread_join(handle.thread, nil) }
}
