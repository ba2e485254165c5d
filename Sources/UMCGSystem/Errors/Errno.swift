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

    public static let EPERM = Errno(rawValue: 1)
    public static let ENOENT = Errno(rawValue: 2)
    public static let ESRCH = Errno(rawValue: 3)
    public static let EINTR = Errno(rawValue: 4)
    public static let EIO = Errno(rawValue: 5)
    public static let EBADF = Errno(rawValue: 9)
    public static let EAGAIN = Errno(rawValue: 11)
    public static let ENOMEM = Errno(rawValue: 12)
    public static let EACCES = Errno(rawValue: 13)
    public static let EFAULT = Errno(rawValue: 14)
    public static let EBUSY = Errno(rawValue: 16)
    public static let EEXIST = Errno(rawValue: 17)
    public static let ENOTDIR = Errno(rawValue: 20)
    public static let EISDIR = Errno(rawValue: 21)
    public static let EINVAL = Errno(rawValue: 22)
    public static let EMFILE = Errno(rawValue: 24)
    public static let ENOTTY = Errno(rawValue: 25)
    public static let EFBIG = Errno(rawValue: 27)
    public static let ENOSPC = Errno(rawValue: 28)
    public static let ESPIPE = Errno(rawValue: 29)
    public static let EROFS = Errno(rawValue: 30)
    public static let ENXIO = Errno(rawValue: 6)
    public static let ENOSYS = Errno(rawValue: 38)
    public static let ELOOP = Errno(rawValue: 40)
    public static let ETIMEDOUT = Errno(rawValue: 110)
    public static let EDQUOT = Errno(rawValue: 122)

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
