import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A plain pthread running a closure; join it exactly once (extra joins are ignored).
///
/// No Foundation: the engine's workers and servers are these.
public final class OSThread: @unchecked Sendable {
    // SAFETY: `handle` is written once in init before the thread is shared; `joined` guards the single join.
    private var handle: pthread_t
    private let joined = Atomic<Bool>(false)

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts a thread running `body`. `stackSize` in bytes (nil = the system default).
    public init(stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) throws(Errno) {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let stackSize {
            let size = max(stackSize, Int(PTHREAD_STACK_MIN))
            let r = pthread_attr_setstacksize(&attr, size)
            if r != 0 { throw Errno(rawValue: r) }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let r = pthread_create(
            &thread, &attr,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.body()
                return nil
            }, context)
        if r != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            throw Errno(rawValue: r)
        }
        handle = thread
    }

    /// Waits for the thread to finish. Safe to call more than once; only the first call joins.
    public func join() {
        // AcquiringAndReleasing: only one caller wins the join; pairs with other join() calls.
        if joined.exchange(true, ordering: .acquiringAndReleasing) { return }
        pthread_join(handle, nil)
    }

    deinit {
        // A thread never joined is detached so its resources are reclaimed when it ends.
        if !joined.load(ordering: .acquiring) { pthread_detach(handle) }
    }
}
