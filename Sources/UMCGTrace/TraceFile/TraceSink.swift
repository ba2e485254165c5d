import UMCGSystem

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
    private var fd: FileDescriptor?
    let path: String

    /// Opens `path` for writing: O_EXCL unless `force`, then O_TRUNC.
    init(path: String, force: Bool) throws(TraceFileError) {
        self.path = path
        ProcessSignals.ignoreFileSizeLimitSignal()
        do {
            fd = try FileDescriptor.openForWriting(path, creation: force ? .truncate : .exclusive)
        } catch {
            throw .system(operation: "open", path: path, errno: error)
        }
    }

    deinit { try? fd?.close() }

    private func open() throws(TraceFileError) -> FileDescriptor {
        guard let fd else { throw .closed(reason: "\(path): trace file already closed") }
        return fd
    }

    func write(_ bytes: [UInt8]) throws(TraceFileError) {
        let fd = try open()
        do { try fd.writeAll(bytes) } catch { throw .system(operation: "write", path: path, errno: error) }
    }

    func truncate(to length: UInt64) -> Bool {
        guard let fd, length <= UInt64(Int.max) else { return false }
        return (try? fd.truncate(to: Int(length))) != nil
    }

    func sync() throws(TraceFileError) {
        let fd = try open()
        do {
            try fd.sync()
        } catch let error where error == .EINVAL {
            // The file does not support syncing (a pipe, /dev/null); nothing to make durable.
        } catch {
            throw .system(operation: "fsync", path: path, errno: error)
        }
    }

    func close() throws(TraceFileError) {
        guard let fd else { return }
        self.fd = nil
        do { try fd.close() } catch { throw .system(operation: "close", path: path, errno: error) }
    }

    /// Removes the file (after a failed header write).
    func unlinkFile() { try? FilePath.remove(path) }
}
