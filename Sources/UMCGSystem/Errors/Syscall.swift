/// The one place the shims' results become Swift values or errors.
///
/// Every shim returns a non-negative result or `-errno` (errno is read in C, where ARC cannot
/// clobber it). These helpers turn that into the value or a thrown `Errno`, retrying EINTR where
/// the call allows it, in the style of swift-system's `valueOrErrno(retryOnInterrupt:)`.
public enum Syscall {
    /// `result` when it is not negative, else throws `Errno(-result)`; with `retryOnInterrupt`,
    /// calls `body` again while it fails with EINTR.
    @inlinable
    public static func valueOrErrno<I: FixedWidthInteger & SignedInteger>(
        retryOnInterrupt: Bool = true, _ body: () -> I
    ) throws(Errno) -> I {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Errno(rawValue: Int32(truncatingIfNeeded: -result))
            if retryOnInterrupt && code == .EINTR { continue }
            throw code
        }
    }

    /// Like `valueOrErrno`, for calls whose success value is only 0.
    @inlinable
    public static func check<I: FixedWidthInteger & SignedInteger>(retryOnInterrupt: Bool = true, _ body: () -> I)
        throws(Errno)
    {
        _ = try valueOrErrno(retryOnInterrupt: retryOnInterrupt, body)
    }
}
