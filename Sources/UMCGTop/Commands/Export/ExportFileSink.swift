import Glibc
import UMCGTrace

/// An export output file: created with O_EXCL (refuses to overwrite) unless `force`,
/// written with write(2) in whole chunks, EINTR and short writes retried.
///
/// Plain file I/O through libc, like the trace file writer; errno is read inside the
/// closure that made the call, before any Swift code can run and clobber it.
/// One owner at a time; `close()` once.
struct ExportFileSink: ExportByteSink {
    /// The output path, for messages.
    let path: String
    /// Whether this sink created the file (only then does `discard()` delete it).
    let created: Bool
    private var fd: Int32

    /// Opens `path` for writing: fails if it exists unless `force` (then truncates it).
    init(path: String, force: Bool) throws(ExportFailure) {
        self.path = path
        var (fd, failure) = Self.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)
        var created = fd >= 0
        if fd < 0 && failure == EEXIST {
            guard force else { throw .outputExists(path) }
            (fd, failure) = Self.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            created = false
        }
        guard fd >= 0 else { throw .cannotCreate(path, Self.reason(failure)) }
        self.fd = fd
        self.created = created
    }

    /// open(2) with mode 0644: (fd, 0) or (-1, errno).
    private static func open(_ path: String, _ flags: Int32) -> (Int32, Int32) {
        path.withCString { cPath -> (Int32, Int32) in
            let fd = Glibc.open(cPath, flags, 0o644)
            return fd < 0 ? (-1, errno) : (fd, 0)
        }
    }

    /// Writes all of `bytes`, retrying EINTR and short writes.
    mutating func write(_ bytes: [UInt8]) throws(ExportError) {
        guard fd >= 0 else { throw .write("\(path): already closed") }
        var offset = 0
        var failure: Int32 = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                // SAFETY: `raw` covers `bytes`, and `offset < bytes.count` keeps the pointer inside it.
                let n = Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0 { failure = errno }
                return n
            }
            if written < 0 {
                if failure == EINTR { continue }
                throw .write("\(path): \(Self.reason(failure))")
            }
            offset += written
        }
    }

    /// Closes the file; reports a failed close (NFS, quota) as a write error.
    mutating func close() throws(ExportError) {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        let failure = result < 0 ? errno : 0
        fd = -1
        if result < 0 && failure != EINTR { throw .write("\(path): \(Self.reason(failure))") }
    }

    /// Closes (ignoring errors) and deletes the file if this sink created it: used after a
    /// failed export. A file that existed before (`--force`) is left, truncated.
    mutating func discard() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
        if created { _ = unlink(path) }
    }

    /// Whether `a` and `b` name the same existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// strerror text for `code`, e.g. "No space left on device".
    static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
