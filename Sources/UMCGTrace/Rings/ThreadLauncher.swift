#if canImport(Glibc)
    import Glibc
#endif

/// The project's one wrapper of pthread_create (UMCGTrace has no Foundation): the trace pump, the ring
/// benchmark, the engine's `OSThread` and the benchmarks package all start their threads here.
public enum ThreadLauncher {
    /// A started thread; join or detach it exactly once.
    public struct Handle: @unchecked Sendable {
        // SAFETY: pthread_t is an integer handle on Linux; joined or detached once by its owner.
        let thread: pthread_t
    }

    /// pthread_create or pthread_attr_setstacksize failed with `errno`.
    public struct StartError: Error, Equatable, Sendable {
        /// The pthread error number.
        public let errno: Int32
    }

    /// Starts a thread running `body`, with `stackSize` bytes of stack (nil = the system default,
    /// smaller values are raised to PTHREAD_STACK_MIN), or on `stack`, memory the caller provides
    /// and keeps mapped until the thread is joined (glibc then adds no guard page and keeps its
    /// thread descriptor and TLS at the top of it).
    public static func start(
        stackSize: Int? = nil, stack: UnsafeMutableRawBufferPointer? = nil, _ body: @escaping @Sendable () -> Void
    ) -> Result<Handle, StartError> {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let stack, let base = stack.baseAddress {
            let rc = pthread_attr_setstack(&attr, base, stack.count)
            if rc != 0 { return .failure(StartError(errno: rc)) }
        } else if let stackSize {
            let rc = pthread_attr_setstacksize(&attr, max(stackSize, Int(PTHREAD_STACK_MIN)))
            if rc != 0 { return .failure(StartError(errno: rc)) }
        }
        // SAFETY: the retained box is released exactly once, by the thread or here when creation fails.
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, &attr,
            { raw in
                guard let raw else { return nil }
                Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            return .failure(StartError(errno: rc))
        }
        return .success(Handle(thread: thread))
    }

    /// Starts a thread running `body` with the default stack; nil when it cannot be started.
    public static func spawn(_ body: @escaping @Sendable () -> Void) -> Handle? {
        try? start(body).get()
    }

    /// Waits for the thread to end.
    public static func join(_ handle: Handle) { _ = pthread_join(handle.thread, nil) }

    /// Lets the thread's resources go when it ends, without joining it.
    public static func detach(_ handle: Handle) { _ = pthread_detach(handle.thread) }
}
