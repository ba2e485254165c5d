#if canImport(Glibc)
    import Glibc
#endif

/// Where a `TraceWriter` puts its bytes: a file, or memory in tests.
protocol TraceSink: AnyObject {
    /// Writes all of `bytes` or throws (some of them may have been written).
    func write(_ bytes: [UInt8]) throws(TraceFileError)
    /// Cuts the output back to `length` bytes; false when that is impossible.
    func truncate(to length: UInt64) -> Bool
    /// Makes the written bytes durable.
    func sync() throws(TraceFileError)
    /// Releases the output; later writes are errors.
    func close() throws(TraceFileError)
}

/// A file written with open(2)/write(2)/fsync(2).
///
/// Creating one ignores SIGXFSZ for the process, so that exceeding RLIMIT_FSIZE makes write(2)
/// fail with EFBIG (a `TraceFileError`) instead of killing the process.
final class FileSink: TraceSink {
    private var fd: Int32
    let path: String

    /// Opens `path` for writing: O_EXCL unless `force`, then O_TRUNC.
    init(path: String, force: Bool) throws(TraceFileError) {
        self.path = path
        _ = signal(SIGXFSZ, SIG_IGN)
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
        var fd: Int32
        repeat { fd = open(path, flags, 0o644) } while fd < 0 && Glibc.errno == EINTR
        if fd < 0 { throw .system(operation: "open", path: path, errno: Glibc.errno) }
        self.fd = fd
    }

    deinit { if fd >= 0 { _ = Glibc.close(fd) } }

    func write(_ bytes: [UInt8]) throws(TraceFileError) {
        if fd < 0 { throw .closed(reason: "\(path): trace file already closed") }
        let fd = self.fd
        let failure: Int32 = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, base + done, raw.count - done)
                if n < 0 {
                    let code = Glibc.errno
                    if code == EINTR { continue }
                    return code
                }
                if n == 0 { return EIO }
                done += n
            }
            return 0
        }
        if failure != 0 { throw .system(operation: "write", path: path, errno: failure) }
    }

    func truncate(to length: UInt64) -> Bool {
        guard fd >= 0 else { return false }
        if ftruncate(fd, off_t(length)) != 0 { return false }
        return lseek(fd, off_t(length), SEEK_SET) == off_t(length)
    }

    func sync() throws(TraceFileError) {
        if fd < 0 { throw .closed(reason: "\(path): trace file already closed") }
        var rc: Int32
        repeat { rc = fsync(fd) } while rc != 0 && Glibc.errno == EINTR
        // EINVAL: the file does not support syncing (a pipe, /dev/null); nothing to make durable.
        if rc != 0 && Glibc.errno != EINVAL { throw .system(operation: "fsync", path: path, errno: Glibc.errno) }
    }

    func close() throws(TraceFileError) {
        if fd < 0 { return }
        let rc = Glibc.close(fd)
        let code = Glibc.errno
        fd = -1
        // Linux closes the descriptor even when close(2) reports EINTR; do not retry.
        if rc != 0 && code != EINTR { throw .system(operation: "close", path: path, errno: code) }
    }

    /// Removes the file (after a failed header write).
    func unlinkFile() { _ = unlink(path) }
}
