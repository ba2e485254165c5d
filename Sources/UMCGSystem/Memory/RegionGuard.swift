import CUMCGShims
import Synchronization

/// Keeps a viewer alive when another process truncates a file the viewer has mapped `MAP_SHARED`:
/// a process-wide SIGBUS handler (C, async-signal-safe, in CUMCGShims) maps zero pages over the
/// part of a registered mapping past the file's new end and counts the fault; the access then
/// reads zeros and the owner sees `faulted` and stops trusting the mapping. A SIGBUS outside every
/// registered mapping goes to the handler that was there before (or kills the process as usual).
public enum RegionGuard {
    /// One registered mapping.
    public struct Registration: @unchecked Sendable {
        // SAFETY: the slot index and a pointer to a process-lifetime static word, read atomically.
        let slot: Int32
        let faults: UnsafeMutablePointer<Atomic<UInt32>>

        /// Whether a page of the mapping faulted (the file was truncated) since it was registered.
        public var faulted: Bool {
            // Relaxed: the handler's increment happens on the faulting thread, before the access
            // that faulted returns; other threads learn of it through their own synchronisation.
            faults.pointee.load(ordering: .relaxed) != 0
        }
    }

    /// Installs the handler when it is not the current SIGBUS handler (again after someone, such
    /// as the terminal's crash restorer, replaced it: it then chains to theirs).
    public static func install() throws(Errno) {
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_region_guard_install() }
    }

    /// Whether the current SIGBUS handler is the guard's.
    public static var isInstalled: Bool { umcg_shim_region_guard_installed() != 0 }

    /// Installs the handler if needed and registers `[base, base + length)`; throws ENOSPC when
    /// 64 mappings are registered already.
    public static func register(_ base: UnsafeMutableRawPointer, length: Int) throws(Errno) -> Registration {
        try install()
        let slot = umcg_shim_region_guard_add(base, UInt64(length))
        guard slot >= 0 else { throw Errno(rawValue: -slot) }
        guard let word = umcg_shim_region_guard_faults(slot) else { throw .EINVAL }
        return Registration(
            slot: slot, faults: UnsafeMutableRawPointer(word).assumingMemoryBound(to: Atomic<UInt32>.self))
    }

    /// Unregisters a mapping; call before unmapping it.
    public static func unregister(_ registration: Registration) {
        umcg_shim_region_guard_remove(registration.slot)
    }
}
