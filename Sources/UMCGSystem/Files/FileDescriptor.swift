import CUMCGShims

/// A file descriptor and the file system calls the project makes, in the style of swift-system's
/// `FileDescriptor`: each a thin throwing wrapper over one shim.
///
/// Threading rule: a value type holding the raw descriptor; `pread` may run on several threads at
/// once, everything else belongs to one owner, who closes it exactly once.
public struct FileDescriptor: Sendable, Hashable {
    /// The raw descriptor.
    public let rawValue: Int32

    /// Wraps a raw descriptor.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Standard input, output and error.
    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    /// How `open` treats an existing file when writing.
    public enum Creation: Sendable {
        /// Fail with EEXIST when it exists.
        case exclusive
        /// Empty it.
        case truncate
    }

    /// Opens `path` read-only (close-on-exec). `nonBlocking` keeps open(2) itself from waiting,
    /// e.g. on a FIFO with no writer.
    public static func openForReading(_ path: String, nonBlocking: Bool = false) throws(Errno) -> FileDescriptor {
        let flags = umcg_shim_o_rdonly() | (nonBlocking ? umcg_shim_o_nonblock() : 0)
        return FileDescriptor(rawValue: try Syscall.valueOrErrno { umcg_shim_open(path, flags, 0) })
    }

    /// Opens `path` for writing, creating it with `permissions` (close-on-exec).
    public static func openForWriting(
        _ path: String, creation: Creation, permissions: UInt32 = 0o644
    ) throws(Errno) -> FileDescriptor {
        let flags =
            umcg_shim_o_write_create() | (creation == .exclusive ? umcg_shim_o_excl() : umcg_shim_o_trunc())
        return FileDescriptor(rawValue: try Syscall.valueOrErrno { umcg_shim_open(path, flags, permissions) })
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file. Retries EINTR.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        Int(try Syscall.valueOrErrno { umcg_shim_read(rawValue, buffer.baseAddress, UInt64(buffer.count)) })
    }

    /// Reads once, reporting EINTR to the caller (a blocking read the caller wants to see interrupted).
    public func readOnce(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        Int(
            try Syscall.valueOrErrno(retryOnInterrupt: false) {
                umcg_shim_read(rawValue, buffer.baseAddress, UInt64(buffer.count))
            })
    }

    /// Reads up to `buffer.count` bytes at `offset` without moving the file offset. Retries EINTR.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        Int(
            try Syscall.valueOrErrno {
                umcg_shim_pread(rawValue, buffer.baseAddress, UInt64(buffer.count), Int64(offset))
            })
    }

    /// Writes up to `buffer.count` bytes once; returns how many went. Retries EINTR.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        Int(try Syscall.valueOrErrno { umcg_shim_write(rawValue, buffer.baseAddress, UInt64(buffer.count)) })
    }

    /// Writes all of `buffer` (EIO when the file takes 0 bytes). Retries EINTR.
    public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < buffer.count {
            let n = try write(UnsafeRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { throw .EIO }
            done += n
        }
    }

    /// Writes all of `bytes`.
    public func writeAll(_ bytes: [UInt8]) throws(Errno) {
        var failure: Errno?
        bytes.withUnsafeBytes { raw in
            do throws(Errno) { try writeAll(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes all of `text` as UTF-8.
    public func writeAll(_ text: String) throws(Errno) {
        try writeAll(Array(text.utf8))
    }

    /// fsync(2). Retries EINTR.
    public func sync() throws(Errno) { try Syscall.check { umcg_shim_fsync(rawValue) } }

    /// ftruncate(2) to `length`, then lseek to it.
    public func truncate(to length: Int) throws(Errno) {
        try Syscall.check { umcg_shim_ftruncate(rawValue, Int64(length)) }
        _ = try Syscall.valueOrErrno { umcg_shim_lseek_set(rawValue, Int64(length)) }
    }

    /// The kind of file behind a descriptor.
    public enum Kind: Sendable, Equatable {
        case regular
        case directory
        case other
    }

    /// fstat(2): the file's size and kind.
    public func status() throws(Errno) -> (size: Int, kind: Kind) {
        var size: Int64 = 0
        var type: UInt32 = 0
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_fstat(rawValue, &size, &type) }
        let kind: Kind =
            type == umcg_shim_s_ifreg() ? .regular : type == umcg_shim_s_ifdir() ? .directory : .other
        return (Int(size), kind)
    }

    /// close(2). Linux closes the descriptor even when it reports EINTR, so that is not retried
    /// and not an error.
    public func close() throws(Errno) {
        let r = umcg_shim_close(rawValue)
        if r < 0 && r != -Errno.EINTR.rawValue { throw Errno(rawValue: -r) }
    }

    /// Whether the descriptor is a terminal.
    public var isTerminal: Bool { umcg_shim_isatty(rawValue) == 1 }

    /// A pipe (close-on-exec both ends): (read end, write end).
    public static func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        let r = fds.withUnsafeMutableBufferPointer { umcg_shim_pipe($0.baseAddress) }
        if r < 0 { throw Errno(rawValue: -r) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// A CLOCK_MONOTONIC timerfd (close-on-exec).
    public static func timer() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try Syscall.valueOrErrno(retryOnInterrupt: false) { umcg_shim_timerfd_create() })
    }

    /// Arms a timerfd to expire once after `nanos` (at least 1).
    public func armTimer(nanos: UInt64) throws(Errno) {
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_timerfd_arm(rawValue, max(1, nanos)) }
    }
}

/// Path operations.
public enum FilePath {
    /// unlink(2).
    public static func remove(_ path: String) throws(Errno) {
        try Syscall.check { umcg_shim_unlink(path) }
    }

    /// rename(2): moves `from` to `to`, replacing `to` if it exists.
    public static func rename(_ from: String, to: String) throws(Errno) {
        try Syscall.check { umcg_shim_rename(from, to) }
    }

    /// renameat2(RENAME_NOREPLACE): moves `from` to `to`, failing with EEXIST when `to` exists
    /// (EINVAL where the file system lacks the flag).
    public static func renameWithoutReplacing(_ from: String, to: String) throws(Errno) {
        try Syscall.check { umcg_shim_rename_noreplace(from, to) }
    }

    /// The (device, inode) pair naming the file at `path`.
    public static func identity(_ path: String) throws(Errno) -> (device: UInt64, inode: UInt64) {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        try Syscall.check { umcg_shim_file_identity(path, &device, &inode) }
        return (device, inode)
    }

    /// The kind of file at `path` (following symbolic links); nil when it cannot be opened.
    public static func kind(_ path: String) -> FileDescriptor.Kind? {
        guard let fd = try? FileDescriptor.openForReading(path, nonBlocking: true) else { return nil }
        defer { try? fd.close() }
        return try? fd.status().kind
    }

    /// Reads a small file (at most `limit` bytes) in full, e.g. under /proc.
    public static func readSmallFile(_ path: String, limit: Int = 64 << 10) throws(Errno) -> [UInt8] {
        let fd = try FileDescriptor.openForReading(path)
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            var result: Result<Int, Errno> = .success(0)
            chunk.withUnsafeMutableBytes { raw in
                result = Result { () throws(Errno) in try fd.read(into: raw) }
            }
            let n = try result.get()
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}

/// Process-wide signal dispositions the trace writer needs.
public enum ProcessSignals {
    /// Ignores SIGXFSZ, so that exceeding RLIMIT_FSIZE makes write(2) fail with EFBIG instead of
    /// killing the process.
    public static func ignoreFileSizeLimitSignal() { _ = umcg_shim_ignore_sigxfsz() }
}
