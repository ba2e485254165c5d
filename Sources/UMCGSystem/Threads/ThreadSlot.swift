import CUMCGShims

/// One pointer per thread, in initial-exec TLS (a single load, no `__tls_get_addr`): the engine
/// keeps the calling thread's control block here and reads it on every umcg_ctl.
public enum ThreadSlot {
    /// The calling thread's slot: nil until set.
    @inlinable @inline(__always)
    public static func get() -> UnsafeMutableRawPointer? { umcg_shim_tls_get() }

    /// Sets the calling thread's slot.
    @inlinable @inline(__always)
    public static func set(_ value: UnsafeMutableRawPointer?) { umcg_shim_tls_set(value) }
}
