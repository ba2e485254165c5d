import UMCGSystem

/// Why a trace file could not be written or read. Its `description` is one line naming the cause.
public enum TraceFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed: `operation` ("open", "write", …) on `path`, with its errno.
    case system(operation: String, path: String, errno: Errno)
    /// The bytes at `offset` are not a valid trace: `reason` says why ("bad magic", "crc mismatch", …).
    case invalid(offset: Int, reason: String)
    /// The writer was already finished or failed earlier; `reason` says which.
    case closed(reason: String)
    /// `path` is not a regular file (a FIFO, a device, a terminal, a pipe): traces are read from files.
    case notRegularFile(path: String)

    /// The errno of a failed system call, nil for data errors.
    public var errno: Errno? {
        if case .system(_, _, let code) = self { return code }
        return nil
    }

    /// The byte offset of a data error, nil for system errors.
    public var offset: Int? {
        if case .invalid(let offset, _) = self { return offset }
        return nil
    }

    /// True when the file already exists and `force` was not given.
    public var isFileExists: Bool { errno == .EEXIST }
    /// True when the disk (or quota) is full.
    public var isNoSpace: Bool { errno == .ENOSPC || errno == .EDQUOT }
    /// True when the file-size limit (RLIMIT_FSIZE) was hit.
    public var isFileTooLarge: Bool { errno == .EFBIG }
    /// True when permission was denied.
    public var isPermissionDenied: Bool { errno == .EACCES || errno == .EPERM || errno == .EROFS }

    /// The reason alone, without the offset (for "FILE: <reason> at offset N" messages).
    public var reason: String {
        switch self {
        case .system(let operation, _, let code): "\(operation) failed: \(code.explanation)"
        case .invalid(_, let reason): reason
        case .closed(let reason): reason
        case .notRegularFile: Self.notRegularFileReason
        }
    }

    static let notRegularFileReason =
        "not a regular file of known size (a FIFO, device, pipe or /proc file): give a recorded .umcgtrace file"

    public var description: String {
        switch self {
        case .system(let operation, let path, let code): "\(path): \(operation) failed: \(code.explanation)"
        case .invalid(let offset, let reason): "\(reason) at offset \(offset)"
        case .closed(let reason): reason
        case .notRegularFile(let path): "\(path): \(Self.notRegularFileReason)"
        }
    }
}
