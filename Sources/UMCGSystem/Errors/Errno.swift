import CUMCGShims

#if canImport(Glibc)
    import Glibc
#endif

/// An errno value from a failed system call (or from the emulated umcg_ctl, which reports the same
/// codes). The one errno type of the project: every wrapper in this module throws it, and the
/// trace file's and the threads' errors carry it.
///
/// Why not swift-system's `Errno`: its values are spelled `.invalidArgument` rather than the
/// kernel's names this project's messages, docs and the UMCG contract use (`EINVAL`), and the rest
/// of swift-system (`FileDescriptor`) would bypass this module's shims, which read errno in C.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw errno.
    public var rawValue: Int32

    /// Wraps a raw errno.
    @inlinable
    public init(rawValue: Int32) { self.rawValue = rawValue }

    // Computed, not `static let`: a stored static is reached from other modules through a lazy
    // initialiser (swift_once, pthread_once: about 45 instructions per use), and the preload's
    // entry points name ENOMEM on every umcg_ctl (callgrind of the C ping-pong under libumcg.so).

    @inlinable public static var EPERM: Errno { Errno(rawValue: 1) }
    @inlinable public static var ENOENT: Errno { Errno(rawValue: 2) }
    @inlinable public static var ESRCH: Errno { Errno(rawValue: 3) }
    @inlinable public static var EINTR: Errno { Errno(rawValue: 4) }
    @inlinable public static var EIO: Errno { Errno(rawValue: 5) }
    @inlinable public static var EBADF: Errno { Errno(rawValue: 9) }
    @inlinable public static var EAGAIN: Errno { Errno(rawValue: 11) }
    @inlinable public static var ENOMEM: Errno { Errno(rawValue: 12) }
    @inlinable public static var EACCES: Errno { Errno(rawValue: 13) }
    @inlinable public static var EFAULT: Errno { Errno(rawValue: 14) }
    @inlinable public static var EBUSY: Errno { Errno(rawValue: 16) }
    @inlinable public static var EEXIST: Errno { Errno(rawValue: 17) }
    @inlinable public static var ENOTDIR: Errno { Errno(rawValue: 20) }
    @inlinable public static var EISDIR: Errno { Errno(rawValue: 21) }
    @inlinable public static var EINVAL: Errno { Errno(rawValue: 22) }
    @inlinable public static var EMFILE: Errno { Errno(rawValue: 24) }
    @inlinable public static var ENOTTY: Errno { Errno(rawValue: 25) }
    @inlinable public static var EFBIG: Errno { Errno(rawValue: 27) }
    @inlinable public static var ENOSPC: Errno { Errno(rawValue: 28) }
    @inlinable public static var ESPIPE: Errno { Errno(rawValue: 29) }
    @inlinable public static var EROFS: Errno { Errno(rawValue: 30) }
    @inlinable public static var ENXIO: Errno { Errno(rawValue: 6) }
    @inlinable public static var ENOSYS: Errno { Errno(rawValue: 38) }
    @inlinable public static var ELOOP: Errno { Errno(rawValue: 40) }
    @inlinable public static var ETIMEDOUT: Errno { Errno(rawValue: 110) }
    @inlinable public static var EDQUOT: Errno { Errno(rawValue: 122) }

    private static let names: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 9: "EBADF", 11: "EAGAIN",
        12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 20: "ENOTDIR", 21: "EISDIR",
        22: "EINVAL", 24: "EMFILE", 25: "ENOTTY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS",
        38: "ENOSYS", 40: "ELOOP", 110: "ETIMEDOUT", 122: "EDQUOT",
    ]

    /// The symbolic name, e.g. "EINVAL", or "errno N".
    public var name: String { Self.names[rawValue] ?? "errno \(rawValue)" }

    /// The C library's message, e.g. "Invalid argument".
    public var message: String {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { umcg_shim_strerror(rawValue, $0.baseAddress, 256) }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return bytes.isEmpty ? "error \(rawValue)" : String(decoding: bytes, as: UTF8.self)
    }

    /// "No space left on device (ENOSPC)": the message and, where known, the name.
    public var explanation: String {
        Self.names[rawValue].map { "\(message) (\($0))" } ?? message
    }

    public var description: String { name }
}

extension Errno {
    /// Runs `body` and puts the calling thread's `errno` back as it was: what a signal handler that
    /// makes system calls must do so that the code it interrupted sees its own errno.
    @inline(__always)
    public static func preservingThreadErrno<R>(_ body: () -> R) -> R {
        let saved = errno
        defer { errno = saved }
        return body()
    }
}
