import UMCGSystem

/// Why a shared-memory region could not be created, opened or read; `description` is one line.
public struct SharedRegionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// A system call failed (see `errno`).
        case system
        /// No region for that process (no file, or it was removed).
        case notFound
        /// The region belongs to another user and we lack CAP_SYS_PTRACE.
        case permission
        /// The bytes are not a valid region (hostile, torn, another version).
        case invalid
        /// This process already publishes a live region.
        case exists
        /// The target truncated its region file while we had it mapped (hostile or broken target).
        case truncated
    }

    /// What went wrong.
    public var kind: Kind
    /// One line, without the "umcgtop: error: " prefix.
    public var message: String
    /// The errno of the failed call, if one failed.
    public var errno: Errno?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, errno: Errno? = nil) {
        self.kind = kind
        self.message = message
        self.errno = errno
    }

    /// A region whose bytes are not valid.
    static func invalid(_ path: String, _ reason: String) -> SharedRegionError {
        SharedRegionError(.invalid, "\(path): not a valid umcgtop region: \(reason)")
    }

    /// Process `pid` truncated its region file under us.
    static func truncated(_ pid: Int32) -> SharedRegionError {
        SharedRegionError(.truncated, "region of process \(pid) was truncated (hostile or broken target)")
    }

    /// A failed system call.
    static func system(_ what: String, _ error: Errno) -> SharedRegionError {
        SharedRegionError(.system, "\(what): \(error.explanation)", errno: error)
    }

    /// The one line.
    public var description: String { message }
}
