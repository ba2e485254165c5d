import CUMCGShims

/// An errno value from a failed system call (or from the emulated umcg_ctl, which reports the same codes).
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw errno.
    public var rawValue: Int32

    /// Wraps a raw errno.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = Errno(rawValue: 1)
    public static let ESRCH = Errno(rawValue: 3)
    public static let EINTR = Errno(rawValue: 4)
    public static let EAGAIN = Errno(rawValue: 11)
    public static let ENOMEM = Errno(rawValue: 12)
    public static let EFAULT = Errno(rawValue: 14)
    public static let EBUSY = Errno(rawValue: 16)
    public static let EINVAL = Errno(rawValue: 22)
    public static let ENOSYS = Errno(rawValue: 38)
    public static let ETIMEDOUT = Errno(rawValue: 110)

    /// The symbolic name, e.g. "EINVAL", or "errno N".
    public var name: String {
        switch rawValue {
        case 1: "EPERM"
        case 3: "ESRCH"
        case 4: "EINTR"
        case 11: "EAGAIN"
        case 12: "ENOMEM"
        case 14: "EFAULT"
        case 16: "EBUSY"
        case 22: "EINVAL"
        case 38: "ENOSYS"
        case 110: "ETIMEDOUT"
        default: "errno \(rawValue)"
        }
    }

    public var description: String { name }
}
