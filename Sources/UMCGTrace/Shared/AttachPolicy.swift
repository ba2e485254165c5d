import UMCGSystem

/// Who may attach to a region: the same user, or a viewer with CAP_SYS_PTRACE (as ptrace and
/// perf decide).
public enum AttachPolicy {
    /// Why a viewer of `viewerUID` with effective capabilities `capabilities` may not attach to
    /// process `pid`'s region owned by `ownerUID`; nil when it may.
    public static func refusal(pid: Int32, ownerUID: UInt32, viewerUID: UInt32, capabilities: UInt64) -> String? {
        if ownerUID == viewerUID || capabilities & ProcessIdentity.capSysPtrace != 0 { return nil }
        return
            "process \(pid) belongs to uid \(ownerUID), not you (uid \(viewerUID)); attaching needs the same user or CAP_SYS_PTRACE"
    }

    /// `refusal` for this process's euid and capabilities.
    public static func refusal(pid: Int32, ownerUID: UInt32) -> String? {
        refusal(
            pid: pid, ownerUID: ownerUID, viewerUID: ProcessIdentity.effectiveUserID,
            capabilities: ProcessIdentity.effectiveCapabilities)
    }
}
