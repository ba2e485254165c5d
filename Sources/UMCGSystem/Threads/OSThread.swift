import Synchronization

/// A plain pthread running a closure; join it exactly once (extra joins are ignored).
///
/// No Foundation: the engine's workers and servers are these.
public final class OSThread: Sendable {
    private let handle: ThreadLauncher.Handle
    private let joined = Atomic<Bool>(false)

    /// Starts a thread named `name` (see `ThreadName`) running `body`. `stackSize` in bytes (nil = the system default), or `stack`:
    /// memory from a `StackPool` that stays mapped until this thread is joined.
    public init(
        name: String, stackSize: Int? = nil, stack: UnsafeMutableRawBufferPointer? = nil,
        _ body: @escaping @Sendable () -> Void
    ) throws(Errno) {
        handle = try ThreadLauncher.start(name: name, stackSize: stackSize, stack: stack, body).get()
    }

    /// Waits for the thread to finish. Safe to call more than once; only the first call joins.
    public func join() {
        // AcquiringAndReleasing: only one caller wins the join; pairs with other join() calls.
        if joined.exchange(true, ordering: .acquiringAndReleasing) { return }
        ThreadLauncher.join(handle)
    }

    /// Whether `join()` was called (and returned: the thread is gone).
    public var isJoined: Bool { joined.load(ordering: .acquiring) }

    deinit {
        // A thread never joined is detached so its resources are reclaimed when it ends.
        if !joined.load(ordering: .acquiring) { ThreadLauncher.detach(handle) }
    }
}
