import CUMCGShims

#if canImport(Glibc)
    import Glibc
#endif

/// The project's one wrapper of pthread_create (no Foundation): the trace pump, the ring
/// benchmark, the engine's `OSThread` and the benchmarks package all start their threads here.
/// Every thread gets a name (`pthread_setname_np`, 15 bytes) so `top -H`, `perf`, gdb and the
/// Perfetto export show what it is, instead of the name of whichever thread started it.
public enum ThreadLauncher {
    /// A started thread; join or detach it exactly once.
    public struct Handle: @unchecked Sendable {
        // SAFETY: pthread_t is an integer handle on Linux; joined or detached once by its owner.
        let thread: pthread_t
    }

    /// Starts a thread running `body`, with `stackSize` bytes of stack (nil = the system default,
    /// smaller values are raised to PTHREAD_STACK_MIN), or on `stack`, memory the caller provides
    /// and keeps mapped until the thread is joined (glibc then adds no guard page and keeps its
    /// thread descriptor and TLS at the top of it).
    public static func start(
        name: String, stackSize: Int? = nil, stack: UnsafeMutableRawBufferPointer? = nil,
        _ body: @escaping @Sendable () -> Void
    ) -> Result<Handle, Errno> {
        final class Box {
            let name: String
            let body: @Sendable () -> Void
            init(_ name: String, _ body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let stack, let base = stack.baseAddress {
            let rc = pthread_attr_setstack(&attr, base, stack.count)
            if rc != 0 { return .failure(Errno(rawValue: rc)) }
        } else if let stackSize {
            let rc = pthread_attr_setstacksize(&attr, max(stackSize, Int(PTHREAD_STACK_MIN)))
            if rc != 0 { return .failure(Errno(rawValue: rc)) }
        }
        // SAFETY: the retained box is released exactly once, by the thread or here when creation fails.
        let context = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, &attr,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                ThreadName.setCurrent(box.name)
                box.body()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            return .failure(Errno(rawValue: rc))
        }
        return .success(Handle(thread: thread))
    }

    /// Starts a thread named `name` running `body` with the default stack; nil when it cannot be started.
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> Handle? {
        try? start(name: name, body).get()
    }

    /// Waits for the thread to end.
    public static func join(_ handle: Handle) { _ = pthread_join(handle.thread, nil) }

    /// Lets the thread's resources go when it ends, without joining it.
    public static func detach(_ handle: Handle) { _ = pthread_detach(handle.thread) }
}

/// Thread names as the kernel keeps them (`/proc/self/task/TID/comm`, at most 15 bytes).
public enum ThreadName {
    /// Names the calling thread; longer names keep their first 15 bytes (cut on a UTF-8 boundary).
    public static func setCurrent(_ name: String) {
        var bytes: [UInt8] = []
        for scalar in name.unicodeScalars {
            let utf8 = Array(String(scalar).utf8)
            if bytes.count + utf8.count > 15 { break }
            bytes += utf8
        }
        bytes.append(0)
        bytes.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { _ = umcg_shim_set_thread_name($0.baseAddress) }
        }
    }

    /// The calling thread's name.
    public static func current() -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let r = buffer.withUnsafeMutableBufferPointer { umcg_shim_get_thread_name($0.baseAddress, 64) }
        guard r == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
